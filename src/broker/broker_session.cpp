#include "broker/broker_session.hpp"

#include <spdlog/spdlog.h>

#include "broker/random_name.hpp"
#include "broker/request_id_tag.hpp"

namespace ecf::broker {

BrokerSession::BrokerSession(const BrokerSettings& settings, const BrokerAddress& address,
                             const std::string& result_queue, bool declared_before)
    : settings_(settings), result_queue_(result_queue) {
    auto options = settings_.connection;
    options.connection_name = settings_.instance_name;
    connection_ = std::make_unique<AmqpConnection>(address, options);
    auto& c = *connection_;
    c.open_channel(kResultsChannel);
    c.open_channel(kPublishChannel);
    c.open_channel(kDeclareChannel);
    c.open_channel(kForwardChannel);
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
    // no_ack: results are transient anyway, and acks would double the broker's work.
    try {
        c.consume(kResultsChannel, result_queue_, /*no_ack=*/true, /*exclusive=*/true);
    } catch (const AmqpChannelError& e) {
        // 403 ACCESS_REFUSED: another instance consumes it exclusively (the same tag).
        if (e.reply_code() == 403) throw ResultQueueTaken("result queue in use by another ECF");
        throw;
    }
    if (settings_.share_results) {
        share_unrouted_results();
    } else {
        c.bind_queue(kResultsChannel, result_queue_, settings_.unrouted_exchange, "");
    }
    c.confirm_select(kPublishChannel);
}

void BrokerSession::share_unrouted_results() {
    auto& c = *connection_;
    c.open_channel(kSharedResultsChannel);
    AmqpQueueOptions shared;
    shared.expires_ms = kSharedResultsQueueExpiresMs;
    shared.max_length = kSharedResultsQueueMaxLength;
    try {
        c.declare_queue(kSharedResultsChannel, kSharedResultsQueue, shared);
    } catch (const AmqpChannelError& e) {
        if (e.reply_code() != 406) throw;  // declared with other arguments: use it as it is
        c.open_channel(kSharedResultsChannel);
        AmqpQueueOptions passive;
        passive.passive = true;
        c.declare_queue(kSharedResultsChannel, kSharedResultsQueue, passive);
    }
    c.bind_queue(kSharedResultsChannel, kSharedResultsQueue, settings_.unrouted_exchange, "");
    // Not exclusive: every instance consumes it, and RabbitMQ hands each result to one of them.
    // With acks (one per round of events, `multiple`) and a bounded prefetch: results delivered
    // to an instance that goes away before handling them are handed to another one.
    c.qos(kSharedResultsChannel, kSharedResultsPrefetch);
    c.consume(kSharedResultsChannel, kSharedResultsQueue, /*no_ack=*/false, /*exclusive=*/false);
}

BrokerSession::~BrokerSession() {
    connection_->close();
}

std::string BrokerSession::send_probe(std::uint16_t tag) {
    // A request id of ours (a uuid4 with our tag), so that whichever instance takes it from the
    // shared queue forwards it to us; old instances drop it as not theirs.
    std::string key = random_uuid4_text();
    key = tag_request_id(key, tag);
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
