#include "execution/per_user_waiting.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/error.hpp"

namespace ecf::execution {
namespace {

TEST(PerUserWaiting, RefusesAUserAtTheLimitWith429AndRetryAfter) {
    PerUserWaiting waiting(2);
    auto first = waiting.acquire("alice");
    auto second = waiting.acquire("alice");
    try {
        waiting.acquire("alice");
        FAIL() << "a third execution of alice was let in";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::TooManyRequests);
        ASSERT_TRUE(e.retry_after().has_value());
    }
    // Others are not affected.
    auto other = waiting.acquire("bob");
    EXPECT_EQ(waiting.waiting("alice"), 2u);
    EXPECT_EQ(waiting.waiting("bob"), 1u);
}

TEST(PerUserWaiting, AnsweredExecutionsMakeRoomAndLeaveNoEntry) {
    PerUserWaiting waiting(1);
    {
        auto lease = waiting.acquire("alice");
        auto moved = std::move(lease);
        EXPECT_EQ(waiting.waiting("alice"), 1u);
    }
    EXPECT_EQ(waiting.waiting("alice"), 0u);
    EXPECT_NO_THROW(waiting.acquire("alice"));
}

TEST(PerUserWaiting, ReleaseEndsTheCountOnceAndAMoveAssignmentEndsTheOverwrittenOne) {
    PerUserWaiting waiting(2);
    auto lease = waiting.acquire("alice");
    lease.release();
    EXPECT_EQ(waiting.waiting("alice"), 0u);
    lease.release();  // a second release (then the destructor) counts nothing more
    auto kept = waiting.acquire("alice");
    auto other = waiting.acquire("alice");
    EXPECT_EQ(waiting.waiting("alice"), 2u);
    kept = std::move(other);  // the count kept held ends here, not only its memory
    EXPECT_EQ(waiting.waiting("alice"), 1u);
    EXPECT_NO_THROW(waiting.acquire("alice"));
}

TEST(PerUserWaiting, ZeroMeansNoLimit) {
    PerUserWaiting waiting(0);
    std::vector<PerUserWaiting::Lease> leases;
    for (int i = 0; i < 100; ++i) leases.push_back(waiting.acquire("alice"));
    EXPECT_EQ(waiting.waiting("alice"), 0u);  // not even counted
}

}  // namespace
}  // namespace ecf::execution
