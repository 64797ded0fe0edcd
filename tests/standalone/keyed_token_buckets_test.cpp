#include "standalone/keyed_token_buckets.hpp"

#include <gtest/gtest.h>

namespace ecf::standalone {
namespace {

using std::chrono::milliseconds;

TEST(KeyedTokenBucketsTest, RefusesPastTheBurstAndSaysWhenToComeBack) {
    KeyedTokenBuckets buckets({3, milliseconds(1000), 100});
    const auto now = KeyedTokenBuckets::Clock::now();
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(buckets.try_take("a", now));
    const auto wait = buckets.try_take("a", now);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, milliseconds(1000));
    EXPECT_FALSE(buckets.try_take("b", now));  // another key has its own bucket
    EXPECT_FALSE(buckets.try_take("a", now + milliseconds(1000)));  // refilled one
    EXPECT_TRUE(buckets.try_take("a", now + milliseconds(1000)));
}

TEST(KeyedTokenBucketsTest, GivenBackTokensDoNotCount) {
    KeyedTokenBuckets buckets({2, milliseconds(60'000), 100});
    const auto now = KeyedTokenBuckets::Clock::now();
    for (int i = 0; i < 100; ++i) {
        ASSERT_FALSE(buckets.try_take("a", now));
        buckets.give_back("a", now);
    }
    EXPECT_FALSE(buckets.try_take("a", now));
}

TEST(KeyedTokenBucketsTest, KeepsAtMostMaxKeysDroppingTheLeastRecentlyUsed) {
    KeyedTokenBuckets buckets({1, milliseconds(60'000), 3});
    const auto now = KeyedTokenBuckets::Clock::now();
    EXPECT_FALSE(buckets.try_take("hot", now));
    for (int i = 0; i < 1000; ++i) {
        buckets.try_take("key" + std::to_string(i), now);
        EXPECT_TRUE(buckets.try_take("hot", now));  // used again: stays, still empty
        ASSERT_LE(buckets.size(), 3u);
    }
}

}  // namespace
}  // namespace ecf::standalone
