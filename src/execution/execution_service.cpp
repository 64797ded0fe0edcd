#include "execution/execution_service.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include "async_execution/result_wait.hpp"
#include "core/error.hpp"

namespace ecf::execution {

namespace asio = boost::asio;
namespace json = boost::json;
using documents::Document;
using documents::DocumentType;
using Clock = std::chrono::steady_clock;

namespace {

void require_type(const Document& document, DocumentType type) {
    // The original answers a document of another TYPE as if it did not exist.
    if (document.type != static_cast<int>(type)) {
        throw Error(ErrorKind::NotFound, "Resource not found");
    }
}

std::string flavour_of(const Document& requirement) {
    auto it = requirement.template_values.find("FLAVOUR");
    // A requirement without a usable FLAVOUR is the client's document to fix: 422, not 500.
    if (it == requirement.template_values.end() || !it->value().is_string() ||
        it->value().as_string().empty()) {
        throw Error(ErrorKind::Unprocessable,
                    "App requirement " + std::to_string(requirement.id) + " has no FLAVOUR");
    }
    std::string flavour(it->value().as_string());
    // AMQP queue names are short strings of at most 255 bytes.
    if (flavour.size() > 255) {
        throw Error(ErrorKind::Unprocessable, "App requirement " + std::to_string(requirement.id) +
                                                  " has a FLAVOUR longer than 255 bytes");
    }
    return flavour;
}

// The requirement's MAX_FUNCTION_EXECUTION_TIME (decimal seconds) plus the queue allowance
// tightens the configured timeout; a missing or unreadable value leaves it as it is. Both count
// from the request's arrival.
std::chrono::milliseconds time_limit_for(const Document& requirement,
                                         const ExecutionLimits& limits) {
    auto it = requirement.template_values.find("MAX_FUNCTION_EXECUTION_TIME");
    if (it == requirement.template_values.end() || !it->value().is_string()) {
        return limits.execution_timeout;
    }
    const std::string_view text = it->value().as_string();
    double seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(seconds) ||
        seconds <= 0 || seconds > 1e9) {
        return limits.execution_timeout;
    }
    const auto requested = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0)) +
                           limits.queue_allowance;
    return std::min(limits.execution_timeout, requested);
}

std::string lower_case(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

std::string request_message(const std::string& request_id, const ExecutionCall& call,
                            const Document& function) {
    json::object payload;
    for (const auto& [key, value] : function.template_values) payload[lower_case(key)] = value;
    payload["params"] = call.params;
    payload["app_req_id"] = call.app_req_id;
    json::object message{{"request_id", request_id}, {"mode", call.mode}};
    message["payload"] = std::move(payload);
    return json::serialize(message);
}

ExecutionOutcome outcome_of(broker::ExecutionResult result) {
    if (result.code == 200) return {200, std::move(result.message), {}};
    if (result.code < 100 || result.code > 599) {
        // Not a status a client could be given: the runtime misbehaved.
        throw Error(ErrorKind::BadGateway, "Serverless Runtime answered an invalid code");
    }
    return {static_cast<unsigned>(result.code),
            json::object{{"detail", std::move(result.message)}},
            {}};
}

// What the token is asked to allow, as far as it is known before any document is read: the
// flavour is in the APP_REQUIREMENT, read with the token's credentials, so it follows.
auth::RequestFacts request_facts(const ExecutionCall& call) {
    return {.operation = "execute",
            .function_id = call.function_id,
            .app_requirement_id = call.app_req_id,
            .mode = call.mode,
            .flavour_follows = true};
}

observability::ExecutionEnding ending_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Timeout:
            return observability::ExecutionEnding::Timeout;
        case ErrorKind::NoRuntime:
            return observability::ExecutionEnding::NoRuntime;
        case ErrorKind::Unavailable:
            return observability::ExecutionEnding::BrokerUnavailable;
        case ErrorKind::BadGateway:  // the runtime's answer was no status
            return observability::ExecutionEnding::RuntimeError;
        default:
            return observability::ExecutionEnding::Rejected;
    }
}

// How long a store full of working executions asks new asynchronous work to wait.
constexpr std::chrono::seconds kStoreFullRetryAfter{5};

}  // namespace

json::object async_response(const std::string& id, const async_execution::AsyncView& view) {
    json::object body{{"status", async_execution::name_of(view.state)}};
    if (view.state == async_execution::AsyncState::Working) {
        body["res"] = nullptr;
    } else {
        boost::system::error_code ec;
        body["res"] = json::parse(view.result_json, ec);
        if (ec) body["res"] = nullptr;  // stored by us, serialized: cannot happen
    }
    body["exec_id"] = json::object{{"faas_task_uuid", id}};
    return body;
}

std::string async_location(const std::string& id) {
    return "/v1/executions/" + id;
}

ExecutionService::ExecutionService(auth::TokenAuthorizer& authorizer,
                                   documents::DocumentSource& documents,
                                   broker::ExecutionBroker& broker, ExecutionLimits limits,
                                   RequestIdSource request_ids,
                                   std::shared_ptr<const observability::ExecutionObserver> observer)
    : authorizer_(authorizer),
      documents_(documents),
      broker_(broker),
      execution_timeout_(limits.execution_timeout),
      queue_allowance_(limits.queue_allowance),
      request_ids_(std::move(request_ids)),
      per_user_waiting_(limits.max_waiting_per_user),
      observer_(std::move(observer)) {}

// GCC 12 warns of a mismatched operator delete on these coroutines' frames, which asio allocates
// and frees with its own pair of operators: a known false positive of GCC's coroutines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<std::tuple<Document, Document>> ExecutionService::fetch_both(
    const Credentials& credentials, const ExecutionCall& call) {
    // The function cached (the steady state of a device calling one function): no parallel
    // reads to set up, and most often no wait at all.
    if (auto function = documents_.fetch_now(credentials, call.function_id)) {
        auto requirement = documents_.fetch_now(credentials, call.app_req_id);
        if (!requirement) requirement = co_await documents_.fetch(credentials, call.app_req_id);
        co_return std::make_tuple(std::move(*function), std::move(*requirement));
    }
    auto executor = co_await asio::this_coro::executor;
    // The first failure cancels the other read; it is the one to report (the cancelled read's
    // own error says only that it was cancelled).
    auto [order, function_error, function, requirement_error, requirement] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, documents_.fetch(credentials, call.function_id),
                           asio::deferred),
            asio::co_spawn(executor, documents_.fetch(credentials, call.app_req_id),
                           asio::deferred))
            .async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);
    const bool requirement_failed_first = order[0] == 1 && requirement_error;
    if (function_error && !requirement_failed_first) std::rethrow_exception(function_error);
    if (requirement_error) std::rethrow_exception(requirement_error);
    co_return std::make_tuple(std::move(function), std::move(requirement));
}

void ExecutionService::set_limits(ExecutionLimits limits) {
    execution_timeout_.store(limits.execution_timeout);
    queue_allowance_.store(limits.queue_allowance);
}

void ExecutionService::set_max_waiting_per_user(std::size_t limit) {
    per_user_waiting_.set_limit(limit);
}

void ExecutionService::set_async_store(std::shared_ptr<async_execution::AsyncResultStore> store) {
    async_store_ = std::move(store);
}

ExecutionLimits ExecutionService::limits() const {
    return {execution_timeout_.load(), queue_allowance_.load()};
}

void ExecutionService::set_flavours(FlavourAllowList flavours) {
    auto next = std::make_shared<const FlavourAllowList>(std::move(flavours));
    const std::lock_guard lock(flavours_mutex_);
    flavours_ = std::move(next);
}

std::shared_ptr<const FlavourAllowList> ExecutionService::flavours() const {
    const std::lock_guard lock(flavours_mutex_);
    return flavours_;
}

// Runs `work` until `deadline`. When the deadline comes first, `work` is cancelled (every step
// before the broker honours cancellation: the HTTP client's reads, the document cache's waits)
// and the caller gets 504, whatever `work` was doing.
template <typename T>
asio::awaitable<T> ExecutionService::before_deadline(asio::awaitable<T> work,
                                                     Clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, deadline);
    auto [order, error, value, timer_error] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, std::move(work), asio::deferred),
            timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    if (order[0] == 1) {
        throw Error(ErrorKind::Timeout, "Execution timed out before the function was queued");
    }
    if (error) std::rethrow_exception(error);
    co_return std::move(value);
}

asio::awaitable<ExecutionService::Authorized> ExecutionService::authorize_and_fetch(
    const ExecutionCall& call, ExecutionTrace& trace) {
    // Named, not a temporary of the co_await expression: GCC 12 ends such temporaries early.
    auth::RequestFacts facts = request_facts(call);
    const auth::Authorization authorization =
        co_await authorizer_.authorize_request(call.token, facts);
    trace.user = authorization.credentials.user;
    auto [function, requirement] = co_await fetch_both(authorization.credentials, call);
    require_type(function, DocumentType::Function);
    require_type(requirement, DocumentType::AppRequirement);
    std::string flavour = flavour_of(requirement);
    // Only a token with checks on `flavour` pays for a second authorization (the token is
    // verified already: one Datalog run). A refusal is the same 401 as any failed check.
    if (authorization.flavour_pending) {
        facts.flavour = flavour;
        const auth::Authorization with_flavour =
            co_await authorizer_.authorize_request(call.token, facts);
        static_cast<void>(with_flavour);
    }
    co_return Authorized{std::move(function), std::move(requirement), std::move(flavour)};
}

asio::awaitable<ExecutionService::Prepared> ExecutionService::prepare(const ExecutionCall& call,
                                                                      ExecutionTrace& trace,
                                                                      Clock::time_point received) {
    const ExecutionLimits limits = this->limits();
    auto authorized = co_await before_deadline(authorize_and_fetch(call, trace),
                                               received + limits.execution_timeout);
    // Before any broker work: every FLAVOUR leaves a queue in RabbitMQ.
    if (!flavours()->allows(authorized.flavour)) {
        throw Error(ErrorKind::Forbidden, std::string(kFlavourNotServed));
    }

    broker::ExecutionRequest request;
    request.flavour = std::move(authorized.flavour);
    request.request_id = request_ids_();
    request.body = request_message(request.request_id, call, authorized.function);
    request.deadline = received + time_limit_for(authorized.requirement, limits);
    if (request.deadline <= Clock::now()) {
        // The requirement's own limit is already spent by the reads: do not queue work that
        // nobody will wait for.
        throw Error(ErrorKind::Timeout, "Execution timed out before the function was queued");
    }
    // Counted until this execution is answered, however that ends; an asynchronous one until
    // its result or its deadline (one user cannot fill the store with working executions).
    auto lease = per_user_waiting_.acquire(trace.user);
    trace.flavour = request.flavour;
    trace.execution_id = request.request_id;
    co_return Prepared{std::move(request), std::move(lease)};
}

asio::awaitable<ExecutionOutcome> ExecutionService::execute(ExecutionCall&& call,
                                                            ExecutionTrace& trace) {
    // One deadline, from the request's arrival: the token, both document reads, the queue and
    // the runtime all spend from it, so a slow OpenNebula cannot hold a device longer than a
    // slow runtime could.
    const auto received = Clock::now();
    observability::ExecutionRecord record;
    Clock::time_point handed_over;
    // Every execution is told to the observer once, however it ends.
    const auto finish = [&](observability::ExecutionEnding ending) {
        const auto now = Clock::now();
        record.flavour = trace.flavour;
        record.ending = ending;
        record.duration = std::chrono::duration_cast<std::chrono::microseconds>(now - received);
        if (record.queued) {
            record.queue_duration =
                std::chrono::duration_cast<std::chrono::microseconds>(now - handed_over);
        }
        trace.queue_duration = record.queue_duration;
        if (observer_) observer_->finished(record);
    };
    try {
        auto prepared = co_await prepare(call, trace, received);
        // In the message now: not kept for the wait.
        std::string().swap(call.token);  // assigning "" would keep its buffer
        call.params = json::array();
        handed_over = Clock::now();
        if (observer_) observer_->queued(trace.flavour);
        record.queued = true;
        if (call.respond_async) {
            auto outcome = co_await accept(std::move(prepared.request), call, trace,
                                           std::move(prepared.lease));
            finish(outcome.status == 202   ? observability::ExecutionEnding::Accepted
                   : outcome.status == 200 ? observability::ExecutionEnding::Ok
                                           : observability::ExecutionEnding::RuntimeError);
            co_return outcome;
        }
        auto outcome = outcome_of(co_await broker_.execute(std::move(prepared.request)));
        finish(outcome.status == 200 ? observability::ExecutionEnding::Ok
                                     : observability::ExecutionEnding::RuntimeError);
        co_return outcome;
    } catch (const Error& e) {
        finish(ending_of(e.kind()));
        throw;
    } catch (const boost::system::system_error& e) {
        // A wait cancelled because its client left (the server cancels the request then).
        finish(e.code() == asio::error::operation_aborted
                   ? observability::ExecutionEnding::ClientLeft
                   : observability::ExecutionEnding::Rejected);
        throw;
    } catch (...) {
        finish(observability::ExecutionEnding::Rejected);
        throw;
    }
}

asio::awaitable<ExecutionOutcome> ExecutionService::accept(broker::ExecutionRequest request,
                                                           const ExecutionCall& call,
                                                           const ExecutionTrace& trace,
                                                           PerUserWaiting::Lease lease) {
    auto store = async_store_;
    if (!store) {
        throw Error(ErrorKind::Unavailable, "asynchronous executions are not available");
    }
    const std::string id = request.request_id;
    const auto deadline = request.deadline;
    const auto owner = async_execution::owner_digest(trace.user);
    // The slot first: a confirmed execution always has room for its result.
    if (!store->reserve(id, owner, deadline)) {
        throw Error(ErrorKind::Unavailable,
                    "too many asynchronous executions are kept; try again later",
                    kStoreFullRetryAfter);
    }
    // Runs on the broker thread: a small closure, no coroutine frame, kept until the ending.
    // The user's lease goes with it: a std::function must be copyable, hence shared.
    auto held = std::make_shared<PerUserWaiting::Lease>(std::move(lease));
    broker::ResultSink sink = [store, id, held](broker::AsyncEnding ending) {
        held->release();
        if (ending.result) {
            store->complete(id, ending.result->code, json::serialize(ending.result->message));
        } else if (ending.error) {
            store->fail(id, ending.error->what());
        }
    };
    try {
        co_await broker_.submit_async(std::move(request), std::move(sink));
    } catch (...) {
        store->release(id);
        throw;
    }
    store->accepted(id);
    if (call.prefer_wait.count() > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        const auto wait = std::min(call.prefer_wait, left);
        auto view = co_await async_execution::wait_for_result(*store, id, owner, wait);
        // The runtime's own answer came in time: answered as a sync execution would be.
        if (view && view->state != async_execution::AsyncState::Working && view->code != 0) {
            boost::system::error_code ec;
            auto message = json::parse(view->result_json, ec);
            if (!ec) co_return outcome_of({view->code, std::move(message)});
        }
    }
    // The 202 always says WORKING, the state it was accepted in, even when the result came in
    // meanwhile (a fast runtime): its body is the same whatever the timing, and the Location
    // gives the result.
    ExecutionOutcome outcome{202, async_response(id, async_execution::AsyncView{}), {}};
    outcome.headers = {{"Preference-Applied", "respond-async"}, {"Location", async_location(id)}};
    co_return outcome;
}
#pragma GCC diagnostic pop

}  // namespace ecf::execution
