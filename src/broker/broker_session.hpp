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
// Results of every instance, taken from the shared queue (share_results).
inline constexpr std::uint16_t kSharedResultsChannel = 4;
// Another instance's results, forwarded to its queue (no confirms; mandatory: a return means
// that instance is gone).
inline constexpr std::uint16_t kForwardChannel = 5;

// The queue the instances of a vhost share the unrouted results through (share_results): bound
// to the fanout, consumed by each instance, so RabbitMQ hands each result to one of them. Every
// instance declares it with these arguments (they must match): it goes 60 s after the last
// instance, and holds at most 100 000 results (only when every consumer falls behind).
inline constexpr const char* kSharedResultsQueue = "results.shared";
inline constexpr std::int64_t kSharedResultsQueueExpiresMs = 60'000;
inline constexpr std::int64_t kSharedResultsQueueMaxLength = 100'000;
// Results of the shared queue delivered to one instance and not acknowledged yet, at most.
inline constexpr std::uint16_t kSharedResultsPrefetch = 1'000;

// Another live instance consumes the result queue of our tag (two instances drew the same tag):
// pick another tag and connect again.
class ResultQueueTaken : public AmqpError {
  public:
    using AmqpError::AmqpError;
};

// One connection of the ECF to RabbitMQ, set up for executions: its channels open (publishing in
// confirm mode), `results` and our fanout declared (contract §4), and this instance's result
// queue declared, bound to the fanout and consumed. What flows on it afterwards (publications,
// events) is the broker thread's business. Every failure is thrown (AmqpError); destroying the
// session closes the connection (bounded, never throws).
class BrokerSession {
  public:
    // result_queue: this instance's own queue, for its whole life. When an earlier session
    // declared it, result_queue_kept() tells whether it outlived that session's connection.
    // address: the node to connect to (one of the settings' addresses).
    BrokerSession(const BrokerSettings& settings, const BrokerAddress& address,
                  const std::string& result_queue, bool declared_before);
    ~BrokerSession();
    BrokerSession(const BrokerSession&) = delete;
    BrokerSession& operator=(const BrokerSession&) = delete;

    AmqpConnection& connection() { return *connection_; }
    bool result_queue_kept() const { return kept_; }

    // Publishes a probe to `results` under a fresh routing key nobody binds, and returns the key:
    // the probe reaches the result queue only when a policy gives `results` our fanout as
    // alternate exchange (ResultsRouting).
    // The key is a uuid4 with `tag` (the shared queue may hand it to another instance, which
    // forwards it to us).
    std::string send_probe(std::uint16_t tag);

    // At a clean stop: the queue is of no use to anyone any more (x-expires would remove it
    // later anyway). Never throws.
    void delete_result_queue() noexcept;

  private:
    // share_results: the shared queue declared, bound to the fanout and consumed.
    void share_unrouted_results();

    const BrokerSettings& settings_;
    const std::string& result_queue_;
    std::unique_ptr<AmqpConnection> connection_;
    bool kept_ = false;
};

}  // namespace ecf::broker
