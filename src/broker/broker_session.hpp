#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "broker/amqp_connection.hpp"
#include "broker/amqp_execution_broker.hpp"
#include "broker/results_exchange.hpp"

namespace ecf::broker {

// The channels of a session. Results are consumed on their own channel so that nothing that
// goes wrong with a publication or a declaration can stop the flow of results.
inline constexpr std::uint16_t kResultsChannel = 1;
inline constexpr std::uint16_t kPublishChannel = 2;  // confirm mode; per-request binds go here too
inline constexpr std::uint16_t kDeclareChannel = 3;  // flavour queues; a refusal closes only it

// One connection of the ECF to RabbitMQ, set up for executions: its channels open (publishing in
// confirm mode), `results` and our fanout declared (contract §4), and this instance's result
// queue declared, bound to the fanout and consumed. What flows on it afterwards (publications,
// events) is the broker thread's business. Every failure is thrown (AmqpError); destroying the
// session closes the connection (bounded, never throws).
class BrokerSession {
  public:
    // result_queue: this instance's own queue, for its whole life. When an earlier session
    // declared it, result_queue_kept() tells whether it outlived that session's connection.
    BrokerSession(const BrokerSettings& settings, const std::string& result_queue,
                  bool declared_before);
    ~BrokerSession();
    BrokerSession(const BrokerSession&) = delete;
    BrokerSession& operator=(const BrokerSession&) = delete;

    AmqpConnection& connection() { return *connection_; }
    bool result_queue_kept() const { return kept_; }

    // Publishes a probe to `results` under a fresh routing key nobody binds, and returns the key:
    // the probe reaches the result queue only when a policy gives `results` our fanout as
    // alternate exchange (ResultsRouting).
    std::string send_probe();

    // At a clean stop: the queue is of no use to anyone any more (x-expires would remove it
    // later anyway). Never throws.
    void delete_result_queue() noexcept;

  private:
    const BrokerSettings& settings_;
    const std::string& result_queue_;
    std::unique_ptr<AmqpConnection> connection_;
    bool kept_ = false;
};

}  // namespace ecf::broker
