#include "http/bounded_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ecf::http {
namespace {

TEST(BoundedJson, ParsesWithinTheLimits) {
    const auto parsed = parse_bounded_json(R"({"a":[1,"x",null,true,2.5]})", {});
    ASSERT_TRUE(parsed.ok);
    EXPECT_EQ(parsed.value, boost::json::parse(R"({"a":[1,"x",null,true,2.5]})"));
}

TEST(BoundedJson, NotJsonHasNoLimitNamed) {
    const auto parsed = parse_bounded_json("{not json", {});
    EXPECT_FALSE(parsed.ok);
    EXPECT_TRUE(parsed.limit_exceeded.empty());
}

TEST(BoundedJson, RefusesTooManyValues) {
    JsonLimits limits;
    limits.max_values = 3;
    EXPECT_TRUE(parse_bounded_json("[1,2]", limits).ok);  // the array counts too
    const auto parsed = parse_bounded_json("[1,2,3]", limits);
    EXPECT_FALSE(parsed.ok);
    EXPECT_EQ(parsed.limit_exceeded, "more than 3 values");
}

TEST(BoundedJson, RefusesTooDeep) {
    JsonLimits limits;
    limits.max_depth = 2;
    EXPECT_TRUE(parse_bounded_json("[[1]]", limits).ok);
    const auto parsed = parse_bounded_json("[[[1]]]", limits);
    EXPECT_FALSE(parsed.ok);
    EXPECT_EQ(parsed.limit_exceeded, "nested deeper than 2");
    // Far deeper than boost::json's own default limit: still our answer, not a syntax error.
    EXPECT_EQ(parse_bounded_json(std::string(100'000, '['), limits).limit_exceeded,
              "nested deeper than 2");
}

TEST(BoundedJson, RefusesLongStringsAndKeys) {
    JsonLimits limits;
    limits.max_string_bytes = 4;
    EXPECT_TRUE(parse_bounded_json(R"({"abcd":"wxyz"})", limits).ok);
    EXPECT_EQ(parse_bounded_json(R"(["abcde"])", limits).limit_exceeded,
              "a string longer than 4 bytes");
    EXPECT_EQ(parse_bounded_json(R"({"abcde":1})", limits).limit_exceeded,
              "a string longer than 4 bytes");
}

TEST(BoundedJson, LargePayloadLimitsTakeLongStrings) {
    const std::string text = "[\"" + std::string(1'000'000, 'a') + "\"]";
    EXPECT_FALSE(parse_bounded_json(text, {}).ok);
    EXPECT_TRUE(parse_bounded_json(text, large_payload_limits().json).ok);
}

}  // namespace
}  // namespace ecf::http
