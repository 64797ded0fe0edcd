#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace ecf::broker {

// What a Serverless Runtime answered (contract §4): `code` is the HTTP status of the SR's own
// API, `message` its body.
struct ExecutionResult {
    int code = 0;
    boost::json::value message;
};

// One execution request, ready to publish.
struct ExecutionRequest {
    std::string flavour;     // queue name (routing key on the default exchange)
    std::string request_id;  // uuid4; the routing key of the result on exchange `results`
    std::string body;        // the JSON message of contract §4, serialized
    std::chrono::steady_clock::time_point deadline;
};

// How an asynchronous execution ended: the runtime's result, or the error that stands for it
// (Timeout at the deadline, Unavailable when the connection was lost, ...).
struct AsyncEnding {
    std::optional<ExecutionResult> result;
    std::optional<ecf::Error> error;
};
// Told an asynchronous execution's ending, once, on the broker's own thread: it must not block.
using ResultSink = std::function<void(AsyncEnding)>;

// Puts executions on the flavour queues and hands back each one's result.
class ExecutionBroker {
  public:
    virtual ~ExecutionBroker() = default;

    // Publishes the request and waits for its result until the deadline. Never blocks the
    // calling thread. Throws ecf::Error: Unavailable (broker unreachable, publish not confirmed,
    // too many waiting executions), Timeout (deadline passed; a late result is dropped).
    virtual boost::asio::awaitable<ExecutionResult> execute(ExecutionRequest request) = 0;

    // Publishes the request and returns as soon as RabbitMQ has confirmed it (never before: a
    // 202 is only for work that was queued); its ending goes to `sink` later (the deadline
    // included: Timeout). Throws ecf::Error as execute() does when the request is not queued;
    // `sink` is then never called. The caller's frame is not kept: a waiting asynchronous
    // execution is only a small entry of the broker.
    virtual boost::asio::awaitable<void> submit_async(ExecutionRequest request, ResultSink sink) {
        (void)request;
        (void)sink;
        throw ecf::Error(ErrorKind::Unavailable, "asynchronous executions are not available");
        co_return;
    }
};

}  // namespace ecf::broker
