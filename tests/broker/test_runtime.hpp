#pragma once

// An in-process Serverless Runtime for the C++ broker tests and the benchmark: consumes one
// flavour queue (default properties, prefetch 1, as the SRs do) on its own thread and answers on
// exchange `results` with routing key = request_id, as contract §4 says.

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "broker/amqp_connection.hpp"

namespace ecf::broker::testing {

struct TestRuntimeBehaviour {
    std::chrono::milliseconds delay{0};  // before answering
    bool answer = true;
    bool answer_twice = false;
    std::string results_exchange = "results";
};

class TestRuntime {
  public:
    TestRuntime(const BrokerAddress& address, std::string flavour,
                TestRuntimeBehaviour behaviour = {})
        : flavour_(std::move(flavour)), behaviour_(std::move(behaviour)) {
        connection_ = std::make_unique<AmqpConnection>(address);
        connection_->open_channel(1);
        connection_->declare_queue(1, flavour_);
        connection_->qos(1, 1);
        connection_->consume(1, flavour_, /*no_ack=*/false);
        thread_ = std::thread([this] { run(); });
    }
    ~TestRuntime() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

    int received() const { return received_.load(); }
    // Requests whose results it has published (and then acknowledged).
    int answered() const { return answered_.load(); }

  private:
    void run() {
        try {
            while (!stop_) {
                auto event = connection_->next_event(std::chrono::milliseconds(50));
                if (!event) continue;
                auto* delivery = std::get_if<AmqpDelivery>(&*event);
                if (!delivery) continue;
                ++received_;
                auto request = boost::json::parse(delivery->message.body).as_object();
                const std::string request_id(request.at("request_id").as_string());
                boost::json::object message{{"ret_code", 0},
                                            {"res", boost::json::serialize(request["payload"])},
                                            {"err", nullptr}};
                const std::string result = boost::json::serialize(
                    boost::json::object{{"code", 200}, {"message", message}});
                if (behaviour_.delay.count() > 0) std::this_thread::sleep_for(behaviour_.delay);
                if (behaviour_.answer) {
                    connection_->publish(1, behaviour_.results_exchange, request_id, result);
                    if (behaviour_.answer_twice) {
                        boost::json::object other{
                            {"ret_code", 0}, {"res", "duplicate"}, {"err", nullptr}};
                        connection_->publish(1, behaviour_.results_exchange, request_id,
                                             boost::json::serialize(boost::json::object{
                                                 {"code", 200}, {"message", other}}));
                    }
                }
                connection_->ack(1, delivery->delivery_tag);
                if (behaviour_.answer) ++answered_;
            }
        } catch (const std::exception&) {
            // The broker went away (restart tests): this runtime stops.
        }
    }

    std::string flavour_;
    TestRuntimeBehaviour behaviour_;
    std::unique_ptr<AmqpConnection> connection_;
    std::atomic<bool> stop_{false};
    std::atomic<int> received_{0};
    std::atomic<int> answered_{0};
    std::thread thread_;
};

}  // namespace ecf::broker::testing
