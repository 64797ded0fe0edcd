#include "observability/burst_counter.hpp"

#include <gtest/gtest.h>

namespace ecf::observability {
namespace {

using namespace std::chrono_literals;

TEST(BurstCounter, OneLineASecondWithTheCount) {
    BurstCounter counter(1s);
    const BurstCounter::Clock::time_point start{};
    EXPECT_EQ(counter.count(start), 1u);  // the first is logged at once
    // A failure every 50 ms (the accept loop's pause) for 3 s: three more lines, not sixty.
    int lines = 0;
    std::size_t counted = 1;
    for (int i = 1; i <= 60; ++i) {
        if (auto events = counter.count(start + i * 50ms)) {
            ++lines;
            counted += *events;
            EXPECT_EQ(*events, 20u);
        }
    }
    EXPECT_EQ(lines, 3);
    EXPECT_EQ(counted, 61u);
}

}  // namespace
}  // namespace ecf::observability
