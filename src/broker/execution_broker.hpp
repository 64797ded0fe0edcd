#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <string>

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

// Puts executions on the flavour queues and hands back each one's result.
class ExecutionBroker {
  public:
    virtual ~ExecutionBroker() = default;

    // Publishes the request and waits for its result until the deadline. Never blocks the
    // calling thread. Throws ecf::Error: Unavailable (broker unreachable, publish not confirmed,
    // too many waiting executions), Timeout (deadline passed; a late result is dropped).
    virtual boost::asio::awaitable<ExecutionResult> execute(ExecutionRequest request) = 0;
};

}  // namespace ecf::broker
