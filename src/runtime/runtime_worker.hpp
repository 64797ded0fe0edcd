#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "broker/amqp_connection.hpp"
#include "broker/broker_address.hpp"
#include "runtime/executor.hpp"

namespace ecf::runtime {

struct RuntimeWorkerOptions {
    broker::BrokerAddress broker;
    // The other nodes of a RabbitMQ cluster (--broker as a comma-separated list): after a lost
    // connection the worker tries the next one.
    std::vector<broker::BrokerAddress> other_brokers;
    std::string flavour;         // the queue consumed, declared with default properties
    std::uint16_t prefetch = 1;  // an SR takes one execution at a time
    std::chrono::milliseconds reconnect_delay{500};         // first wait after a lost connection
    std::chrono::milliseconds max_reconnect_delay{30'000};  // the backoff doubles up to this
    std::chrono::milliseconds confirm_timeout{10'000};      // for the broker to confirm a result
    std::chrono::milliseconds poll_interval{200};           // how soon a stop request is seen
    int heartbeat_seconds = 30;  // AMQP heartbeat; kept up while a function runs
    // amqps:// only: the CAs to trust, and a client certificate with its key (both or neither).
    std::string broker_ca_file = broker::kSystemCaBundle;
    std::string broker_cert_file;
    std::string broker_key_file;
};

// The runtime side of contract §4, as a Serverless Runtime's RabbitMQ consumer does it: consumes
// the flavour queue, runs each request's payload with the Executor, publishes
// {"code", "message"} to exchange `results` with the request id as routing key, and acks the
// request only once the broker has confirmed the result, so a request whose result was not
// delivered is redelivered. A malformed request is acked and dropped with a log line.
//
// The connection is served while an execution runs (heartbeats, further deliveries), so a long
// function does not cost the connection. When the broker goes away the worker connects again
// with a doubling delay. A stop request is honoured between executions: the running one
// finishes and is published; deliveries not yet started are requeued by closing the channel.
class RuntimeWorker {
  public:
    RuntimeWorker(RuntimeWorkerOptions options, Executor& executor,
                  const std::atomic<bool>& stop_requested);

    // Runs until a stop is requested.
    void run();

  private:
    // One connection's life; returns normally when a stop is requested, throws
    // broker::AmqpError when the connection is lost.
    void serve(broker::AmqpConnection& connection, const broker::BrokerAddress& address);
    void handle(broker::AmqpConnection& connection, const broker::AmqpDelivery& delivery);
    broker::ExecutionResult execute_while_serving(broker::AmqpConnection& connection,
                                                  const boost::json::value& payload);
    void publish_confirmed(broker::AmqpConnection& connection, const std::string& request_id,
                           const std::string& body);
    // Keeps a delivery that arrived while waiting for something else, for later.
    void keep(broker::AmqpEvent event);
    bool wait_before_reconnecting(std::chrono::milliseconds delay) const;

    RuntimeWorkerOptions options_;
    Executor& executor_;
    const std::atomic<bool>& stop_requested_;
    std::deque<broker::AmqpDelivery> waiting_;  // bounded by the prefetch count
    std::chrono::milliseconds reconnect_delay_{0};
    std::size_t broker_index_ = 0;  // 0: options_.broker; i: options_.other_brokers[i - 1]
    std::uint64_t published_ = 0;   // publish sequence number on this channel
};

}  // namespace ecf::runtime
