#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/amqp_connection.hpp"
#include "broker/broker_address.hpp"
#include "broker/execution_broker.hpp"
#include "broker/peer_messages.hpp"
#include "broker/results_exchange.hpp"

namespace ecf::broker {

struct BrokerSettings {
    // The broker, when it is one node.
    BrokerAddress address;
    // The nodes of a RabbitMQ cluster (config `broker` as a list); when set, `address` is not
    // used. The broker thread starts from a random one (so that the instances of a deployment,
    // and the result queues they declare on their node, spread over the cluster), and each
    // reconnection tries the next one.
    std::vector<BrokerAddress> addresses;
    // Executions waiting for a result at once (config max_waiting_executions); beyond it,
    // execute() throws Unavailable at once.
    std::size_t max_waiting_executions = 10'000;
    // Names this instance's connection in RabbitMQ (management UI, logs).
    std::string instance_name = "ecf";
    AmqpConnectionOptions connection;
    // Background reconnection: first retry after reconnect_min, doubling up to reconnect_max.
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{5'000};
    // Contract §4's exchange, and our own fanout that a policy may make its alternate exchange.
    std::string results_exchange = kResultsExchange;
    std::string unrouted_exchange = kUnroutedResultsExchange;
    // How long our result queue outlives a lost connection (x-expires): results published
    // while we reconnect wait in it.
    std::chrono::milliseconds result_queue_expires{60'000};
    // An execution published while its flavour queue has no consumer gets 503 (with
    // Retry-After) once this passes with still none, and its request expires in the queue then
    // so that it never runs later (config queue_allowance). Unset: it waits for its deadline.
    std::optional<std::chrono::milliseconds> queue_allowance;
    // How often the consumer counts of the flavour queues in use are asked again.
    std::chrono::milliseconds consumer_refresh{1'000};
    // How long the probe of the fast path waits for its message (see ResultsRouting).
    std::chrono::milliseconds probe_timeout{1'000};
    // With several ECF instances on one vhost: true (the default) makes new instances share
    // the unrouted results through one queue (`results.shared`, consumed by each of them, so
    // RabbitMQ hands each result to one of them) and forward another instance's result to its
    // queue by the tag in the request id; false binds this instance's queue to the fanout, so
    // it receives every unrouted result and drops the others' (what earlier versions do).
    // See README.md, "Several instances".
    bool share_results = true;
    // Told the routing found by each probe (start-up, every reconnection), on the broker thread.
    std::function<void(ResultsRouting)> on_results_routing;
};

// Monotonic counts of the broker's life, for an operator (all since start).
struct BrokerCounts {
    std::uint64_t connections = 0;        // connections established (the first and every reconnect)
    std::uint64_t published = 0;          // execution requests confirmed by RabbitMQ
    std::uint64_t refused = 0;            // execution requests nacked or returned by RabbitMQ
    std::uint64_t results = 0;            // results handed to their waiter
    std::uint64_t dropped_results = 0;    // results dropped: late, duplicate or not ours
    std::uint64_t forwarded_results = 0;  // another instance's results forwarded to its queue
    std::uint64_t lost_forwards = 0;      // forwards returned: that instance's queue is gone
};

// The ExecutionBroker of the ECF, over one long-lived AMQP connection owned by a dedicated
// thread (rabbitmq-c is blocking and not thread-safe) that runs an io_context of its own: the
// connection's socket is watched through Asio, one timer serves every deadline and heartbeat.
// execute() never blocks its thread: it is an asynchronous operation whose handler the broker
// keeps by request id until the result, a failure or the deadline (the broker's: the waiter has
// no timer of its own), completed on the waiter's executor; cancelling it (its client left)
// forgets the execution at once.
//
// Results: `results` is declared plainly (contract §4) and this instance's result queue is bound
// to the fanout `results.unrouted`. When a RabbitMQ policy makes that fanout the alternate
// exchange of `results`, an SR's result (routing key = request id) matches no binding in
// `results` and reaches us with no per-request broker operation; a probe finds out whether it
// does at start-up and after each reconnection. Otherwise each request id is bound (no-wait)
// before publishing, and unbound (pipelined) after.
class AmqpExecutionBroker final : public ExecutionBroker {
  public:
    explicit AmqpExecutionBroker(BrokerSettings settings);
    ~AmqpExecutionBroker() override;  // stop()s
    AmqpExecutionBroker(const AmqpExecutionBroker&) = delete;
    AmqpExecutionBroker& operator=(const AmqpExecutionBroker&) = delete;

    // Starts the broker thread and waits (at most the connect timeout) for the first connection
    // attempt (and, when it succeeds, its probe of the results routing). Returns whether it is
    // connected; when not, it keeps retrying in the background and execute() throws Unavailable
    // meanwhile.
    bool start();
    // Stops accepting executions, fails the waiting ones with Unavailable, closes the
    // connection cleanly and joins the broker thread. Idempotent.
    void stop();

    boost::asio::awaitable<ExecutionResult> execute(ExecutionRequest request) override;
    boost::asio::awaitable<void> submit_async(ExecutionRequest request, ResultSink sink) override;

    bool connected() const;
    // A new bound on the executions waiting at once (a configuration reload); those already
    // waiting are not affected. The result queue's max-length keeps its start-up value.
    void set_max_waiting_executions(std::size_t limit);
    // What the broker thread has counted since start, for /metrics.
    BrokerCounts counts() const;
    // True when the last probe found that unrouted results do not reach us (per-request
    // bindings).
    bool per_request_bindings() const;
    std::size_t waiting() const;
    // This instance's tag, to be written into the request ids it mints (request_id_tag.hpp):
    // it names the instance's result queue. It changes only when another instance holds the
    // queue of the tag (then the executions waiting get 503). Any thread.
    std::uint16_t instance_tag() const;

    // Messages between instances sharing this RabbitMQ (peer_messages.hpp): a question to the
    // instance of a tag, waited for until `deadline`. Answers whether that instance exists and,
    // when it does, what it answered. Throws ecf::Error Unavailable (with Retry-After) when it
    // cannot be asked or does not answer in time.
    boost::asio::awaitable<PeerAnswer> ask_peer(std::uint16_t tag, std::string body,
                                                std::chrono::steady_clock::time_point deadline);
    // Set before start(): told each question another instance asks this one, on the broker
    // thread (it must only hand the work on).
    void set_peer_question_handler(PeerQuestionHandler handler);
    // Answers `question` (any thread); dropped when that cannot be done now.
    void answer_peer(const PeerQuestion& question, std::string body);

    class State;  // shared with the broker thread

  private:
    std::shared_ptr<State> state_;
};

}  // namespace ecf::broker
