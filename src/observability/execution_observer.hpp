#pragma once

#include <chrono>
#include <string_view>

namespace ecf::observability {

// How one execution ended, in the terms an operator counts by.
enum class ExecutionEnding {
    Ok,                 // the runtime answered 200
    RuntimeError,       // the runtime answered another code
    Timeout,            // no result by the deadline (504)
    NoRuntime,          // no runtime consumes the flavour (503)
    BrokerUnavailable,  // the broker was unreachable, blocked or refused the request (503)
    Rejected,           // refused before the queue: token, documents, limits (4xx, 500)
    Accepted,           // queued as an asynchronous execution and answered 202
    ClientLeft,         // its client closed the connection while it waited (499, no answer)
};

constexpr std::string_view name_of(ExecutionEnding ending) {
    switch (ending) {
        case ExecutionEnding::Ok:
            return "ok";
        case ExecutionEnding::RuntimeError:
            return "runtime_error";
        case ExecutionEnding::Timeout:
            return "timeout";
        case ExecutionEnding::NoRuntime:
            return "no_runtime";
        case ExecutionEnding::BrokerUnavailable:
            return "broker_unavailable";
        case ExecutionEnding::Rejected:
            return "rejected";
        case ExecutionEnding::Accepted:
            return "accepted";
        case ExecutionEnding::ClientLeft:
            return "client_left";
    }
    return "rejected";
}

struct ExecutionRecord {
    std::string_view flavour;  // empty when the execution ended before its flavour was known
    ExecutionEnding ending = ExecutionEnding::Rejected;
    bool queued = false;                    // it was handed to the broker (and queued() was called)
    std::chrono::microseconds duration{0};  // from arrival to the answer
    std::chrono::microseconds queue_duration{0};  // from the hand-off to the broker to the answer
};

// Told about every execution: when it is handed to the broker, and when it ends. Called from
// every I/O thread at once.
class ExecutionObserver {
  public:
    virtual ~ExecutionObserver() = default;
    virtual void queued(std::string_view flavour) const = 0;
    virtual void finished(const ExecutionRecord& record) const = 0;
};

}  // namespace ecf::observability
