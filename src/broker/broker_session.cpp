#include "broker/broker_session.hpp"

#include <spdlog/spdlog.h>

#include "broker/random_name.hpp"

namespace ecf::broker {

BrokerSession::BrokerSession(const BrokerSettings& settings, const std::string& result_queue,
                             bool declared_before)
    : settings_(settings), result_queue_(result_queue) {
    auto options = settings_.connection;
    options.connection_name = settings_.instance_name;
    connection_ = std::make_unique<AmqpConnection>(settings_.address, options);
    auto& c = *connection_;
    c.open_channel(kResultsChannel);
    c.open_channel(kPublishChannel);
    c.open_channel(kDeclareChannel);
    declare_results_exchange(c, kDeclareChannel, settings_.results_exchange,
                             settings_.unrouted_exchange);
    // The result queue is this instance's own (a unique name, consumed exclusively) but not
    // exclusive to one connection: it outlives a dropped connection for result_queue_expires
    // (x-expires), so results published while we reconnect wait in it.
    if (declared_before) {
        try {
            AmqpQueueOptions passive;
            passive.passive = true;
            c.declare_queue(kResultsChannel, result_queue_, passive);
            kept_ = true;
        } catch (const AmqpChannelError&) {
            c.open_channel(kResultsChannel);  // 404: the broker lost it (restart, expiry)
        }
    }
    AmqpQueueOptions own;
    // Every queue has a bound: results wait here only if the broker thread falls behind, and no
    // more can be useful than executions may wait.
    own.max_length = static_cast<std::int64_t>(settings_.max_waiting_executions) * 2 + 1000;
    own.expires_ms = settings_.result_queue_expires.count();
    c.declare_queue(kResultsChannel, result_queue_, own);
    c.bind_queue(kResultsChannel, result_queue_, settings_.unrouted_exchange, "");
    // no_ack: results are transient anyway, and acks would double the broker's work.
    c.consume(kResultsChannel, result_queue_, /*no_ack=*/true, /*exclusive=*/true);
    c.confirm_select(kPublishChannel);
}

BrokerSession::~BrokerSession() {
    connection_->close();
}

std::string BrokerSession::send_probe() {
    std::string key = "ecf-probe-" + random_hex64();
    AmqpProperties properties;
    properties.content_type = "application/json";
    connection_->publish(kDeclareChannel, settings_.results_exchange, key, R"({"probe":true})",
                         properties);
    return key;
}

void BrokerSession::delete_result_queue() noexcept {
    try {
        connection_->delete_queue(kDeclareChannel, result_queue_);
    } catch (const std::exception& e) {
        spdlog::debug("result queue '{}' not deleted: {}", result_queue_, e.what());
    }
}

}  // namespace ecf::broker
