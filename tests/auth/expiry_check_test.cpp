// Expiry is read from a failed check's structure (a `time($t)` predicate compared with a date
// literal), never from its printed text.
#include "auth/expiry_check.hpp"

#include <gtest/gtest.h>

#include <biscuit/datalog/parser.hpp>

namespace {

using ecf::auth::is_time_bound;
namespace datalog = biscuit::datalog;

TEST(ExpiryCheck, TimeComparedWithADateIsATimeBound) {
    EXPECT_TRUE(
        is_time_bound(datalog::parse_check("check if time($t), $t < 2030-01-01T00:00:00Z")));
    EXPECT_TRUE(
        is_time_bound(datalog::parse_check("check if time($time), 2030-01-01T00:00:00Z > $time")));
    EXPECT_TRUE(is_time_bound(
        datalog::parse_check("check if user($u), time($t), $t <= 2030-01-01T00:00:00Z")));
    EXPECT_TRUE(is_time_bound(datalog::parse_check(
        "check if operation(\"read\") or time($t), $t >= 2020-01-01T00:00:00Z")));
}

TEST(ExpiryCheck, TextThatMentionsTimeIsNot) {
    // The old text search for `time(` called these expired.
    EXPECT_FALSE(is_time_bound(datalog::parse_check("check if resource(\"time(x)\")")));
    EXPECT_FALSE(
        is_time_bound(datalog::parse_check("check if runtime($t), $t < 2030-01-01T00:00:00Z")));
    EXPECT_FALSE(is_time_bound(datalog::parse_check("check if time($t), $t > 5")));
    EXPECT_FALSE(is_time_bound(
        datalog::parse_check("check if time($t), $u < 2030-01-01T00:00:00Z, other($u)")));
}

TEST(ExpiryCheck, FailedOnTimeReadsTheFailedChecks) {
    biscuit::FailedCheck time_check;
    time_check.check = datalog::parse_check("check if time($t), $t < 2020-01-01T00:00:00Z");
    biscuit::FailedCheck other;
    other.check = datalog::parse_check("check if operation(\"read\")");
    EXPECT_TRUE(ecf::auth::failed_on_time(
        biscuit::Error::unauthorized(biscuit::MatchedPolicy{}, {other, time_check})));
    EXPECT_FALSE(
        ecf::auth::failed_on_time(biscuit::Error::unauthorized(biscuit::MatchedPolicy{}, {other})));
}

}  // namespace
