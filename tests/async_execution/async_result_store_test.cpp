// The store of asynchronous results, on an injected clock: no sleeps.
#include "async_execution/async_result_store.hpp"

#include <gtest/gtest.h>

namespace ecf::async_execution {
namespace {

using Clock = AsyncResultStore::Clock;
using namespace std::chrono_literals;

class FakeClock {
  public:
    Clock::time_point now() const { return now_; }
    void advance(Clock::duration d) { now_ += d; }

  private:
    Clock::time_point now_ = Clock::time_point{} + 1000h;
};

class CountingWaiter final : public CompletionWaiter {
  public:
    void done() override { ++calls; }
    int calls = 0;
};

struct StoreTest : ::testing::Test {
    FakeClock clock;
    AsyncStoreLimits limits{.result_ttl = 60s,
                            .max_results = 3,
                            .max_result_bytes = 100,
                            .store_bytes = 1000,
                            .max_waiters = 2,
                            .max_waiters_per_user = 1};
    std::unique_ptr<AsyncResultStore> store;
    const OwnerDigest alice = owner_digest("alice");
    const OwnerDigest bob = owner_digest("bob");

    void make() {
        store = std::make_unique<AsyncResultStore>(limits, [this] { return clock.now(); });
    }
    void SetUp() override { make(); }
    // Reserved and confirmed, as the service does before answering 202.
    void accept(const std::string& id, const OwnerDigest& owner, Clock::duration within = 30s) {
        ASSERT_TRUE(store->reserve(id, owner, clock.now() + within));
        store->accepted(id);
    }
};

TEST_F(StoreTest, AWorkingExecutionIsSeenByItsOwnerOnly) {
    accept("a", alice);
    auto view = store->find("a", alice);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->state, AsyncState::Working);
    EXPECT_EQ(view->result_json, "null");
    EXPECT_FALSE(store->find("a", bob));      // another user: as unknown
    EXPECT_FALSE(store->find("zzz", alice));  // unknown
}

TEST_F(StoreTest, AnUnconfirmedReservationIsNobodys) {
    ASSERT_TRUE(store->reserve("a", alice, clock.now() + 30s));
    EXPECT_FALSE(store->find("a", alice));
    store->release("a");
    EXPECT_EQ(store->stats().entries, 0u);
}

TEST_F(StoreTest, AResultWith200IsReadyAndAnotherCodeFailed) {
    accept("a", alice);
    accept("b", alice);
    store->complete("a", 200, R"({"ret_code":0,"res":"x","err":null})");
    store->complete("b", 400, R"({"ret_code":-1,"res":null,"err":"boom"})");
    auto a = store->find("a", alice);
    auto b = store->find("b", alice);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->state, AsyncState::Ready);
    EXPECT_EQ(a->code, 200);
    EXPECT_EQ(a->result_json, R"({"ret_code":0,"res":"x","err":null})");
    EXPECT_EQ(b->state, AsyncState::Failed);
    EXPECT_EQ(b->code, 400);
    EXPECT_EQ(store->stats().ready, 1u);
    EXPECT_EQ(store->stats().failed, 1u);
}

TEST_F(StoreTest, TheFirstEndingWins) {
    accept("a", alice);
    store->fail("a", "no result before the execution deadline");
    store->complete("a", 200, "{}");
    auto view = store->find("a", alice);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->state, AsyncState::Failed);
    EXPECT_NE(view->result_json.find("deadline"), std::string::npos);
}

TEST_F(StoreTest, AResultLargerThanTheBoundIsStoredFailedWithTheReason) {
    accept("a", alice);
    store->complete("a", 200, "\"" + std::string(200, 'x') + "\"");
    auto view = store->find("a", alice);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->state, AsyncState::Failed);
    EXPECT_EQ(view->code, 0);
    EXPECT_NE(view->result_json.find("async_max_result_bytes"), std::string::npos);
    EXPECT_LT(store->stats().bytes, 200u);  // the reason, not the result
}

TEST_F(StoreTest, AFinishedResultGoesAfterItsTtl) {
    accept("a", alice);
    store->complete("a", 200, "1");
    clock.advance(59s);
    EXPECT_TRUE(store->find("a", alice));
    clock.advance(1s);
    EXPECT_FALSE(store->find("a", alice));
    EXPECT_EQ(store->stats().entries, 0u);
    EXPECT_EQ(store->stats().expired, 1u);
}

TEST_F(StoreTest, AWorkingExecutionPastItsDeadlineIsFailedTimeout) {
    accept("a", alice, 5s);
    clock.advance(5s);
    auto view = store->find("a", alice);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->state, AsyncState::Failed);
    EXPECT_NE(view->result_json.find("deadline"), std::string::npos);
}

TEST_F(StoreTest, FullOfWorkingExecutionsRefusesNewWork) {
    accept("a", alice);
    accept("b", alice);
    accept("c", alice);
    EXPECT_FALSE(store->reserve("d", alice, clock.now() + 30s));
    EXPECT_EQ(store->stats().refused_full, 1u);
    // Every confirmed one keeps its slot.
    for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(store->find(id, alice)) << id;
}

TEST_F(StoreTest, WhenFullTheOldestFinishedResultGoesFirst) {
    accept("a", alice);
    accept("b", alice);
    accept("c", alice);
    store->complete("b", 200, "1");
    clock.advance(1s);
    store->complete("a", 200, "2");
    accept("d", alice);  // evicts b, finished first
    EXPECT_FALSE(store->find("b", alice));
    EXPECT_TRUE(store->find("a", alice));
    EXPECT_TRUE(store->find("c", alice));
    EXPECT_EQ(store->stats().evictions, 1u);
}

TEST_F(StoreTest, TheTotalBytesAreBounded) {
    limits.max_results = 100;
    limits.store_bytes = 250;
    make();
    accept("a", alice);
    accept("b", alice);
    accept("c", alice);
    store->complete("a", 200, std::string(90, '1'));
    store->complete("b", 200, std::string(90, '2'));
    store->complete("c", 200, std::string(90, '3'));  // a goes to make room
    EXPECT_FALSE(store->find("a", alice));
    EXPECT_TRUE(store->find("c", alice));
    EXPECT_LE(store->stats().bytes, 250u);
}

TEST_F(StoreTest, WaitersAreToldTheEndingAndBounded) {
    accept("a", alice);
    accept("b", bob);
    CountingWaiter first, second, third;
    EXPECT_EQ(store->add_waiter("a", alice, first), AsyncResultStore::Watch::Waiting);
    // Per user: alice has one already.
    EXPECT_EQ(store->add_waiter("a", alice, second), AsyncResultStore::Watch::TooManyWaiters);
    EXPECT_EQ(store->add_waiter("a", bob, second), AsyncResultStore::Watch::NotFound);
    EXPECT_EQ(store->add_waiter("b", bob, second), AsyncResultStore::Watch::Waiting);
    // In all: two.
    accept("c", owner_digest("carol"));
    EXPECT_EQ(store->add_waiter("c", owner_digest("carol"), third),
              AsyncResultStore::Watch::TooManyWaiters);
    EXPECT_EQ(store->stats().waiters, 2u);
    store->complete("a", 200, "1");
    EXPECT_EQ(first.calls, 1);
    EXPECT_EQ(second.calls, 0);
    store->remove_waiter("a", first);
    store->remove_waiter("b", second);
    EXPECT_EQ(store->stats().waiters, 0u);
    EXPECT_EQ(store->add_waiter("a", alice, first), AsyncResultStore::Watch::Finished);
}

TEST_F(StoreTest, WakeAllEndsEveryLongPoll) {
    accept("a", alice);
    CountingWaiter waiter;
    ASSERT_EQ(store->add_waiter("a", alice, waiter), AsyncResultStore::Watch::Waiting);
    store->wake_all();
    EXPECT_EQ(waiter.calls, 1);
    store->remove_waiter("a", waiter);
    CountingWaiter later;
    EXPECT_EQ(store->add_waiter("a", alice, later), AsyncResultStore::Watch::Finished);
}

TEST_F(StoreTest, OwnerDigestsDifferByUser) {
    EXPECT_NE(owner_digest("alice"), owner_digest("bob"));
    EXPECT_EQ(owner_digest("alice"), owner_digest("alice"));
}

}  // namespace
}  // namespace ecf::async_execution
