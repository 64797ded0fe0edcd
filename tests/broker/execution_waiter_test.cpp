// ExecutionWaiter: one waiting execution's handler, completed exactly once on the waiter's own
// executor, whatever the broker tells it and in whatever order.

#include "broker/execution_waiter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/system/system_error.hpp>
#include <optional>
#include <utility>
#include <vector>

namespace ecf::broker {
namespace {

namespace asio = boost::asio;

// What the waiter's handler was told, in order.
struct Told {
    int calls = 0;
    std::exception_ptr error;
    ExecutionResult result;
};

class ExecutionWaiterTest : public ::testing::Test {
  protected:
    ExecutionWaiter sync_waiter() { return ExecutionWaiter(handler(), work()); }
    ExecutionWaiter async_waiter() {
        return ExecutionWaiter(handler(), work(), [this](AsyncEnding ending) {
            endings.push_back(std::move(ending));
        });
    }
    ExecutionHandler handler() {
        return ExecutionHandler([this](std::exception_ptr error, ExecutionResult result) {
            ++told.calls;
            told.error = std::move(error);
            told.result = std::move(result);
        });
    }
    asio::any_io_executor work() {
        return asio::prefer(io.get_executor(), asio::execution::outstanding_work.tracked);
    }
    static ErrorKind kind_of(const std::exception_ptr& error) {
        try {
            std::rethrow_exception(error);
        } catch (const ecf::Error& e) {
            return e.kind();
        }
    }

    asio::io_context io;
    Told told;
    std::vector<AsyncEnding> endings;
};

TEST_F(ExecutionWaiterTest, ASyncWaiterIsCompletedOnItsExecutorWithTheFirstAnswerOnly) {
    auto waiter = sync_waiter();
    EXPECT_TRUE(waiter.awaiting());
    waiter.deliver(ExecutionResult{200, boost::json::value("first")});
    waiter.deliver(ecf::Error(ErrorKind::Timeout, "late"));
    EXPECT_FALSE(waiter.awaiting());
    EXPECT_EQ(told.calls, 0);  // never inline: on its own executor
    io.run();
    EXPECT_EQ(told.calls, 1);
    EXPECT_FALSE(told.error);
    EXPECT_EQ(told.result.code, 200);
}

TEST_F(ExecutionWaiterTest, ASyncWaitersSlotIsReleasedOnceItsHandlerHasRun) {
    WaitingSlots slots(1);
    std::size_t waiting_when_told = 0;
    auto slot = slots.try_reserve();
    ASSERT_TRUE(slot);
    ExecutionWaiter waiter(ExecutionHandler([&](std::exception_ptr, ExecutionResult) {
                               waiting_when_told = slots.waiting();
                           }),
                           work());
    waiter.hold(std::move(*slot));
    waiter.deliver(ExecutionResult{200, {}});
    EXPECT_EQ(slots.waiting(), 1u);  // told, not run yet
    io.run();
    EXPECT_EQ(waiting_when_told, 1u);
    EXPECT_EQ(slots.waiting(), 0u);
}

TEST_F(ExecutionWaiterTest, AMovedFromWaiterIgnoresWhatItIsTold) {
    // The broker moves a waiter into its router before it publishes; a failure of that
    // publication then answers the batch, the moved-from waiter included.
    auto waiter = sync_waiter();
    ExecutionWaiter kept = std::move(waiter);
    waiter.deliver(ecf::Error(ErrorKind::Unavailable, "the connection was lost"));
    waiter.cancelled();
    waiter.confirmed();
    io.run_for(std::chrono::milliseconds(50));
    EXPECT_EQ(told.calls, 0);
    kept.deliver(ExecutionResult{200, {}});
    io.restart();
    io.run();
    EXPECT_EQ(told.calls, 1);
}

TEST_F(ExecutionWaiterTest, AWaiterDestroyedUnansweredAnswersUnavailable) {
    { auto waiter = sync_waiter(); }
    io.run();
    ASSERT_EQ(told.calls, 1);
    EXPECT_EQ(kind_of(told.error), ErrorKind::Unavailable);
}

TEST_F(ExecutionWaiterTest, ACancelledWaiterIsToldOperationAborted) {
    auto waiter = sync_waiter();
    waiter.cancelled();
    waiter.deliver(ExecutionResult{200, {}});
    io.run();
    ASSERT_EQ(told.calls, 1);
    try {
        std::rethrow_exception(told.error);
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), asio::error::operation_aborted);
    }
}

TEST_F(ExecutionWaiterTest, AnAsyncWaiterIsToldTheConfirmAndItsSinkTheEnding) {
    auto waiter = async_waiter();
    waiter.confirmed();
    EXPECT_FALSE(waiter.awaiting());  // only the sink is left
    waiter.deliver(ExecutionResult{200, boost::json::value("done")});
    waiter.deliver(ecf::Error(ErrorKind::Timeout, "late"));
    io.run();
    EXPECT_EQ(told.calls, 1);
    EXPECT_FALSE(told.error);
    EXPECT_EQ(told.result.code, 0);  // "confirmed"
    ASSERT_EQ(endings.size(), 1u);
    ASSERT_TRUE(endings[0].result);
    EXPECT_EQ(endings[0].result->code, 200);
}

TEST_F(ExecutionWaiterTest, AnAsyncWaiterNotQueuedTellsTheErrorAndNeverItsSink) {
    auto waiter = async_waiter();
    waiter.deliver(ecf::Error(ErrorKind::Unavailable, "refused"));
    waiter.deliver(ExecutionResult{200, {}});
    io.run();
    ASSERT_EQ(told.calls, 1);
    EXPECT_EQ(kind_of(told.error), ErrorKind::Unavailable);
    EXPECT_TRUE(endings.empty());
}

TEST_F(ExecutionWaiterTest, AResultBeforeItsConfirmConfirmsAndEnds) {
    auto waiter = async_waiter();
    waiter.deliver(ExecutionResult{200, {}});
    io.run();
    EXPECT_EQ(told.calls, 1);
    EXPECT_FALSE(told.error);
    EXPECT_EQ(endings.size(), 1u);
}

TEST_F(ExecutionWaiterTest, CompletionClearsTheCancellationSlot) {
    // The canceller put in the caller's slot must not outlive the wait.
    asio::cancellation_signal signal;
    bool cancelled = false;
    auto bound = asio::bind_cancellation_slot(
        signal.slot(), [this](std::exception_ptr, ExecutionResult) { ++told.calls; });
    ExecutionHandler any_handler(std::move(bound));
    any_handler.get_cancellation_slot().emplace<std::function<void(asio::cancellation_type)>>(
        [&cancelled](asio::cancellation_type) { cancelled = true; });
    ExecutionWaiter waiter(std::move(any_handler), work());
    waiter.deliver(ExecutionResult{200, {}});
    io.run();
    EXPECT_EQ(told.calls, 1);
    signal.emit(asio::cancellation_type::terminal);
    EXPECT_FALSE(cancelled);
}

}  // namespace
}  // namespace ecf::broker
