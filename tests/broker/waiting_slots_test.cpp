// WaitingSlots: the bound on sync executions waiting at once, held by each waiter until its
// coroutine was told its answer.
#include "broker/waiting_slots.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <utility>

namespace ecf::broker {
namespace {

TEST(WaitingSlots, NoMoreThanTheLimitWaitAtOnce) {
    WaitingSlots slots(2);
    auto first = slots.try_reserve();
    auto second = slots.try_reserve();
    ASSERT_TRUE(first && second);
    EXPECT_FALSE(slots.try_reserve());
    EXPECT_EQ(slots.waiting(), 2u);
    first.reset();
    EXPECT_EQ(slots.waiting(), 1u);
    EXPECT_TRUE(slots.try_reserve());  // released again at once: a temporary
    EXPECT_EQ(slots.waiting(), 1u);
}

TEST(WaitingSlots, AMovedSlotIsReleasedOnce) {
    WaitingSlots slots(1);
    auto reserved = slots.try_reserve();
    ASSERT_TRUE(reserved);
    WaitingSlots::Slot held = std::move(*reserved);
    reserved.reset();
    EXPECT_EQ(slots.waiting(), 1u);
    WaitingSlots::Slot other;
    other = std::move(held);
    EXPECT_EQ(slots.waiting(), 1u);
    other = WaitingSlots::Slot{};
    EXPECT_EQ(slots.waiting(), 0u);
}

TEST(WaitingSlots, ALowerLimitRefusesNewOnesAndKeepsThoseThatWait) {
    WaitingSlots slots(3);
    auto a = slots.try_reserve();
    auto b = slots.try_reserve();
    slots.set_limit(1);
    EXPECT_FALSE(slots.try_reserve());
    EXPECT_EQ(slots.waiting(), 2u);
    a.reset();
    b.reset();
    EXPECT_TRUE(slots.try_reserve());
}

// A slot may be released after its broker is gone (a waiter's handler runs on an io_context that
// outlives it): the count it releases is its own (ASan would see a use after free).
TEST(WaitingSlots, ASlotOutlivesTheBrokersCount) {
    std::optional<WaitingSlots::Slot> kept;
    {
        auto slots = std::make_unique<WaitingSlots>(1);
        kept = slots->try_reserve();
        ASSERT_TRUE(kept);
    }
    kept.reset();
}

}  // namespace
}  // namespace ecf::broker
