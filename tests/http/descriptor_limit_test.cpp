#include "http/descriptor_limit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace ecf::http {
namespace {

TEST(DescriptorLimit, ConnectionsLeaveHeadroomBelowTheDescriptorLimit) {
    EXPECT_EQ(connection_limit(10'000, 1024), 1024u - 256u);
    EXPECT_EQ(connection_limit(10'000, 1'048'576), 10'000u);
    EXPECT_EQ(connection_limit(100, 1024), 100u);
    // A low limit keeps a quarter free.
    EXPECT_EQ(connection_limit(10'000, 300), 225u);
    EXPECT_EQ(connection_limit(10'000, 1), 1u);
}

TEST(DescriptorLimit, TheSoftLimitIsRaisedToTheHardOne) {
    rlimit before{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
    if (before.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no finite hard limit here";
    rlimit lowered = before;
    lowered.rlim_cur = std::min<rlim_t>(before.rlim_max, 64);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
    EXPECT_EQ(raise_descriptor_limit(), before.rlim_max);
    rlimit after{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
    EXPECT_EQ(after.rlim_cur, before.rlim_max);
    setrlimit(RLIMIT_NOFILE, &before);
}

}  // namespace
}  // namespace ecf::http
