#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "async_execution/async_result_store.hpp"
#include "auth/token_authorizer.hpp"
#include "broker/execution_broker.hpp"
#include "core/flavour_allow_list.hpp"
#include "documents/document_source.hpp"
#include "execution/per_user_waiting.hpp"
#include "observability/execution_observer.hpp"

namespace ecf::execution {

// One POST /v1/functions/{id}/execute, already checked for shape by the HTTP layer.
struct ExecutionCall {
    std::string token;
    std::int64_t function_id = 0;
    std::int64_t app_req_id = 0;
    std::string mode;           // "sync" or "async", passed on to the SR as is
    boost::json::array params;  // strings, opaque
    // Answer 202 once the request is queued (RFC 7240 `Prefer: respond-async`, or mode=async
    // with async_mode: accepted), rather than wait for the result.
    bool respond_async = false;
    // With respond_async: wait this long for the result first (`Prefer: wait=N`); when it comes
    // in time, the answer is the sync one.
    std::chrono::milliseconds prefer_wait{0};
};

// What is known of one execution as it goes, for the access log: filled in step by step, so that
// a failure is still attributed to its user, flavour and execution id.
struct ExecutionTrace {
    std::string user;          // the token's user name
    std::string flavour;       // the requirement's FLAVOUR
    std::string execution_id;  // the request id of contract §4 (the SR's routing key)
    std::chrono::microseconds queue_duration{0};  // hand-off to the broker to the answer
};

// What the device gets: an HTTP status and its JSON body.
struct ExecutionOutcome {
    unsigned status = 200;
    boost::json::value body;
    std::vector<std::pair<std::string, std::string>> headers;  // added to the answer's
};

// The body of an asynchronous execution's answers (202 and GET /v1/executions/{id}): the
// Serverless Runtime's own AsyncExecResponse shape.
boost::json::object async_response(const std::string& id, const async_execution::AsyncView& view);
// Where an asynchronous execution's result is read.
std::string async_location(const std::string& id);

struct ExecutionLimits {
    // Longest time from a request's arrival to its answer: token, documents, queue and runtime.
    std::chrono::milliseconds execution_timeout{120'000};
    // Added to a requirement's MAX_FUNCTION_EXECUTION_TIME for the time spent in the queue.
    std::chrono::milliseconds queue_allowance{10'000};
    // Executions one user may have waiting for a result at once (0: no limit); beyond it 429.
    // Fixed at construction (set_limits does not change it).
    std::size_t max_waiting_per_user = 0;
};

// Makes a fresh uuid4 for each execution; passed in so tests can predict it.
using RequestIdSource = std::function<std::string()>;

// Runs one function on a Serverless Runtime: authorize the token, read the FUNCTION and the
// APP_REQUIREMENT documents (at once, with the caller's credentials), check their TYPEs, authorize
// the token again with the requirement's flavour when it has checks on it, check the flavour
// against the allow-list, build the request message of contract §4, hand it to the broker, and
// turn the SR's result into the answer of contract §1.
class ExecutionService {
  public:
    // `observer` (may be null) is told about every execution: the metrics, the log.
    ExecutionService(auth::TokenAuthorizer& authorizer, documents::DocumentSource& documents,
                     broker::ExecutionBroker& broker, ExecutionLimits limits,
                     RequestIdSource request_ids,
                     std::shared_ptr<const observability::ExecutionObserver> observer = nullptr);

    // `trace` is filled in as the execution goes (the token's user name as soon as it is known),
    // so that a failure after authorization is still attributed in the access log. Throws
    // ecf::Error.
    // The call is consumed: its token and parameters are dropped once the execution is handed
    // to the broker (a sync execution may wait long, and thousands may wait at once).
    boost::asio::awaitable<ExecutionOutcome> execute(ExecutionCall&& call, ExecutionTrace& trace);

    // New limits for the executions that start from now on (a configuration reload); those in
    // flight keep theirs. Safe to call from any thread.
    void set_limits(ExecutionLimits limits);
    // Only the timeouts: max_waiting_per_user is changed by set_max_waiting_per_user.
    ExecutionLimits limits() const;
    void set_max_waiting_per_user(std::size_t limit);

    // The flavours served (configuration key `flavours`; empty: any): an execution whose
    // requirement names another is refused with 403 before anything is published. For the
    // executions that start from now on; safe to call from any thread.
    void set_flavours(FlavourAllowList flavours);
    std::shared_ptr<const FlavourAllowList> flavours() const;

    // Where asynchronous executions keep their results; without one (or null), they get 503
    // and sync executions go on.
    void set_async_store(std::shared_ptr<async_execution::AsyncResultStore> store);

  private:
    using Documents = std::tuple<documents::Document, documents::Document>;

    // The documents of an execution whose token is authorized for them, and the flavour.
    struct Authorized {
        documents::Document function;
        documents::Document requirement;
        std::string flavour;
    };

    template <typename T>
    static boost::asio::awaitable<T> before_deadline(
        boost::asio::awaitable<T> work, std::chrono::steady_clock::time_point deadline);

    // Authorizes the token (before the flavour is known), reads the FUNCTION and the
    // APP_REQUIREMENT, checks their TYPEs and the FLAVOUR, and, when the token's checks on
    // `flavour` are pending, authorizes it again with the flavour stated.
    boost::asio::awaitable<Authorized> authorize_and_fetch(const ExecutionCall& call,
                                                           ExecutionTrace& trace);

    // An execution ready to be handed to the broker, counted for its user.
    struct Prepared {
        broker::ExecutionRequest request;
        PerUserWaiting::Lease lease;
    };

    // Everything before the broker: authorization, both documents, the message, the user's
    // count. A coroutine of its own so that its documents and their copies are freed before a
    // sync execution waits (thousands may wait at once, each holding its frames).
    boost::asio::awaitable<Prepared> prepare(const ExecutionCall& call, ExecutionTrace& trace,
                                             std::chrono::steady_clock::time_point received);

    // Reads the FUNCTION and the APP_REQUIREMENT at once; the first failure cancels the other.
    boost::asio::awaitable<Documents> fetch_both(const Credentials& credentials,
                                                 const ExecutionCall& call);

    // Reserves the store's slot, publishes, and answers 202 once RabbitMQ confirmed it (or the
    // result, when it comes within the call's prefer_wait). The user's `lease` is held until
    // the execution's result or deadline, not only until the 202.
    boost::asio::awaitable<ExecutionOutcome> accept(broker::ExecutionRequest request,
                                                    const ExecutionCall& call,
                                                    const ExecutionTrace& trace,
                                                    PerUserWaiting::Lease lease);

    auth::TokenAuthorizer& authorizer_;
    documents::DocumentSource& documents_;
    broker::ExecutionBroker& broker_;
    // Read by every execution, written by a reload: each on its own, so no lock is needed (a
    // request starting during a reload may mix an old and a new value; both are valid).
    std::atomic<std::chrono::milliseconds> execution_timeout_;
    std::atomic<std::chrono::milliseconds> queue_allowance_;
    RequestIdSource request_ids_;
    PerUserWaiting per_user_waiting_;
    mutable std::mutex flavours_mutex_;
    std::shared_ptr<const FlavourAllowList> flavours_ = std::make_shared<const FlavourAllowList>();
    std::shared_ptr<const observability::ExecutionObserver> observer_;
    std::shared_ptr<async_execution::AsyncResultStore> async_store_;
};

}  // namespace ecf::execution
