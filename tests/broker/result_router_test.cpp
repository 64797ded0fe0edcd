// ResultRouter without RabbitMQ: each waiting execution is answered once, by request id, by its
// confirm, its deadline or its queue allowance.
#include "broker/result_router.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ecf::broker {
namespace {

using namespace std::chrono_literals;
using Router = ResultRouter<int>;
using Clock = Router::Clock;

std::vector<std::string> ids_of(const std::vector<Router::Entry>& entries) {
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.request_id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

TEST(ResultRouter, RoutesAResultToItsWaiterOnceByRequestId) {
    Router router;
    const auto t0 = Clock::now();
    ASSERT_TRUE(router.add({"a", 1, "F", false}, t0 + 10s));
    ASSERT_TRUE(router.add({"b", 2, "F", true}, t0 + 10s));
    EXPECT_FALSE(router.add({"a", 3, "F", false}, t0 + 10s));  // a duplicate id
    auto b = router.take("b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->waiter, 2);
    EXPECT_TRUE(b->bound);
    EXPECT_FALSE(router.take("b"));  // a duplicate result: nobody
    EXPECT_FALSE(router.take("unknown"));
    EXPECT_EQ(router.size(), 1u);
}

TEST(ResultRouter, ANackFailsOnlyItsPublicationsAndAnAckForgetsThem) {
    Router router;
    const auto t0 = Clock::now();
    for (auto id : {"a", "b", "c", "d"}) router.add({id, 0, "F", false}, t0 + 10s);  // tags 1-4
    EXPECT_TRUE(router.confirm(2, /*multiple=*/true, /*ack=*/true).empty());
    EXPECT_EQ(ids_of(router.confirm(3, false, false)), std::vector<std::string>{"c"});
    EXPECT_EQ(router.size(), 3u);  // a and b confirmed, still waiting for results
    EXPECT_EQ(ids_of(router.take_unconfirmed()), std::vector<std::string>{"d"});
    EXPECT_EQ(router.size(), 2u);
    // Numbering starts again: the next publication is tag 1.
    router.add({"e", 0, "F", false}, t0 + 10s);
    EXPECT_EQ(ids_of(router.confirm(1, false, false)), std::vector<std::string>{"e"});
}

TEST(ResultRouter, AnAckShowsEachAckedEntryStillWaitingOnce) {
    Router router;
    const auto t0 = Clock::now();
    for (auto id : {"a", "b", "c"}) router.add({id, 0, "F", false}, t0 + 10s);  // tags 1-3
    router.take("b");  // answered before its confirm
    std::vector<std::string> acked;
    router.confirm(3, /*multiple=*/true, /*ack=*/true,
                   [&](Router::Entry& entry) { acked.push_back(entry.request_id); });
    std::sort(acked.begin(), acked.end());
    EXPECT_EQ(acked, (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(router.size(), 2u);                // still waiting for their results
    router.add({"d", 0, "F", false}, t0 + 10s);  // tag 4
    acked.clear();
    router.confirm(4, false, /*ack=*/false,
                   [&](Router::Entry& entry) { acked.push_back(entry.request_id); });
    EXPECT_TRUE(acked.empty());  // a nack is no ack
}

TEST(ResultRouter, AResultBeforeItsConfirmLeavesNothingUnconfirmed) {
    Router router;
    router.add({"a", 0, "F", false}, Clock::now() + 10s);
    ASSERT_TRUE(router.take("a"));
    EXPECT_TRUE(router.take_unconfirmed().empty());
    EXPECT_TRUE(router.confirm(1, false, false).empty());
}

TEST(ResultRouter, DeadlinesTakeOnlyWhatIsDue) {
    Router router;
    const auto t0 = Clock::now();
    router.add({"late", 0, "F", false}, t0 + 5s);
    router.add({"early", 0, "F", false}, t0 + 1s);
    EXPECT_EQ(router.next_due(), t0 + 1s);
    EXPECT_TRUE(router.take_past_deadline(t0).empty());
    EXPECT_EQ(ids_of(router.take_past_deadline(t0 + 2s)), std::vector<std::string>{"early"});
    EXPECT_EQ(router.next_due(), t0 + 5s);
    EXPECT_FALSE(router.take("early"));
}

TEST(ResultRouter, TheQueueAllowanceTakesOnlyExecutionsOfFlavoursWithoutConsumer) {
    Router router;
    const auto t0 = Clock::now();
    router.add({"x", 0, "Nobody", false}, t0 + 60s, t0 + 2s);
    router.add({"y", 0, "Busy", false}, t0 + 60s, t0 + 2s);
    router.add({"z", 0, "Nobody", false}, t0 + 60s);  // published with a consumer: no check
    EXPECT_EQ(router.next_due(), t0 + 2s);
    auto nobody = [](const std::string& flavour) { return flavour == "Nobody"; };
    EXPECT_TRUE(router.take_unconsumed(t0 + 1s, nobody).empty());
    EXPECT_EQ(ids_of(router.take_unconsumed(t0 + 2s, nobody)), std::vector<std::string>{"x"});
    EXPECT_EQ(router.size(), 2u);  // y has a consumer now: it waits for its deadline
    EXPECT_EQ(router.next_due(), t0 + 60s);
}

TEST(ResultRouter, TakeAllEmptiesEverything) {
    Router router;
    const auto t0 = Clock::now();
    router.add({"a", 0, "F", false}, t0 + 1s, t0 + 1s);
    router.add({"b", 0, "F", false}, t0 + 1s);
    EXPECT_EQ(ids_of(router.take_all()), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(router.size(), 0u);
    EXPECT_FALSE(router.next_due());
    EXPECT_TRUE(router.take_unconfirmed().empty());
}

}  // namespace
}  // namespace ecf::broker
