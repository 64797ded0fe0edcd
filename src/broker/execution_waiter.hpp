#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <utility>
#include <variant>

#include "broker/execution_broker.hpp"
#include "broker/waiting_slots.hpp"
#include "core/error.hpp"

namespace ecf::broker {

// What a waiting execution is told: the runtime's result, or the error that stands for it.
using Outcome = std::variant<ExecutionResult, ecf::Error>;

// The completion handler of an execution's wait (execute(), submit_async()): an error, or the
// result (for an asynchronous execution: a result with code 0 that says "confirmed").
using ExecutionHandler =
    boost::asio::any_completion_handler<void(std::exception_ptr, ExecutionResult)>;

// One execution waiting in the broker: the handler of the coroutine that waits for it (no
// channel, no timer, no mailbox of its own: the broker's ResultRouter keeps this by request id
// and is the one owner), completed exactly once on the waiter's own executor. An asynchronous
// execution also holds its result sink: its handler is told only the confirm (or the failure
// that means the request was not queued) and its ending goes to the sink.
//
// Owned and used by the broker thread only; movable, so that the router can hold it by value.
// A waiter destroyed without an answer (the broker goes away) answers Unavailable: a coroutine
// is never left suspended for ever.
class ExecutionWaiter {
  public:
    ExecutionWaiter() = default;  // nobody waits on it
    // `work` is the handler's executor, tracked (outstanding work) so that the waiter's
    // io_context does not run out of work while it waits.
    ExecutionWaiter(ExecutionHandler handler, boost::asio::any_io_executor work)
        : handler_(std::move(handler)), work_(std::move(work)) {}
    ExecutionWaiter(ExecutionHandler handler, boost::asio::any_io_executor work, ResultSink sink)
        : handler_(std::move(handler)),
          work_(std::move(work)),
          sink_(std::move(sink)),
          async_(true) {}
    ExecutionWaiter(ExecutionWaiter&&) noexcept = default;
    ExecutionWaiter& operator=(ExecutionWaiter&& other) noexcept {
        if (this != &other) {
            abandon();
            // any_completion_handler's own move assignment does not compile in Boost 1.81.
            handler_.swap(other.handler_);
            work_ = std::move(other.work_);
            sink_ = std::move(other.sink_);
            slot_ = std::move(other.slot_);
            async_ = other.async_;
        }
        return *this;
    }
    ExecutionWaiter(const ExecutionWaiter&) = delete;
    ExecutionWaiter& operator=(const ExecutionWaiter&) = delete;
    ~ExecutionWaiter() { abandon(); }

    // An asynchronous execution's (with a sink), or a sync one's.
    bool async() const { return async_; }
    // A sync execution's place among the waiting ones: released once its handler has run.
    void hold(WaitingSlots::Slot slot) { slot_ = std::move(slot); }

    // Whether a coroutine still waits on it (false once an asynchronous execution is confirmed:
    // only its sink is left).
    bool awaiting() const { return static_cast<bool>(handler_); }

    // Its coroutine was cancelled: the handler is told so (operation_aborted), a sink never.
    void cancelled() {
        if (!handler_) return;
        sink_ = nullptr;
        complete(std::make_exception_ptr(
                     boost::system::system_error(boost::asio::error::operation_aborted)),
                 {});
    }

    // RabbitMQ confirmed the publication (basic.ack): an asynchronous execution's submitter
    // answers 202 now. Nothing for a sync execution.
    void confirmed() {
        if (async_ && handler_) complete(nullptr, ExecutionResult{});
    }

    // The execution's answer: its result, or the error that ends it. Only the first answer
    // counts; a waiter already answered, or moved from (its execution went on to the router),
    // ignores the rest.
    void deliver(Outcome outcome) {
        if (!async_) {
            if (!handler_) return;
            if (auto* error = std::get_if<ecf::Error>(&outcome)) {
                complete(std::make_exception_ptr(std::move(*error)), {});
            } else {
                complete(nullptr, std::move(std::get<ExecutionResult>(outcome)));
            }
            return;
        }
        if (handler_) {
            if (auto* error = std::get_if<ecf::Error>(&outcome)) {
                // Not queued: the submitter answers it (503...); the sink is never told.
                sink_ = nullptr;
                complete(std::make_exception_ptr(std::move(*error)), {});
                return;
            }
            // A result before its confirm: the request was queued all the same.
            complete(nullptr, ExecutionResult{});
        }
        if (!sink_) return;
        ResultSink sink = std::exchange(sink_, nullptr);
        AsyncEnding ending;
        if (auto* error = std::get_if<ecf::Error>(&outcome)) {
            ending.error = std::move(*error);
        } else {
            ending.result = std::move(std::get<ExecutionResult>(outcome));
        }
        sink(std::move(ending));
    }

  private:
    // Hands the handler its answer on its own executor (never inline: this is the broker
    // thread). The cancellation slot is cleared there, on the waiter's thread, before the
    // handler runs: its canceller must not outlive the wait.
    void complete(std::exception_ptr error, ExecutionResult result) {
        if (!handler_) return;
        auto executor = std::move(work_);
        boost::asio::post(executor,
                          [handler = std::move(handler_), error = std::move(error),
                           result = std::move(result), slot = std::move(slot_)]() mutable {
                              boost::asio::get_associated_cancellation_slot(handler).clear();
                              std::move(handler)(std::move(error), std::move(result));
                          });
        handler_ = nullptr;
    }

    void abandon() {
        if (handler_) {
            sink_ = nullptr;
            complete(std::make_exception_ptr(
                         ecf::Error(ErrorKind::Unavailable, "the message broker stopped")),
                     {});
        }
    }

    ExecutionHandler handler_;
    boost::asio::any_io_executor work_;
    ResultSink sink_;
    WaitingSlots::Slot slot_;
    bool async_ = false;
};

}  // namespace ecf::broker
