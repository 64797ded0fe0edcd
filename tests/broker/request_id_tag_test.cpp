#include "broker/request_id_tag.hpp"

#include <gtest/gtest.h>

namespace ecf::broker {
namespace {

TEST(RequestIdTag, WrittenIntoRandomBitsOnly) {
    const std::string uuid = "0f1e2d3c-4b5a-4968-a776-8594a3b2c1d0";
    const std::string tagged = tag_request_id(uuid, 0xbeef);
    EXPECT_EQ(tagged, "0f1e2d3c-4b5a-4968-a776-beefa3b2c1d0");
    // Still a uuid4: version and variant untouched.
    EXPECT_EQ(tagged[14], '4');
    EXPECT_EQ(tagged[19], 'a');
    EXPECT_EQ(request_id_tag(tagged), 0xbeef);
    EXPECT_EQ(request_id_tag(tag_request_id(uuid, 0)), 0);
}

TEST(RequestIdTag, AnyCanonicalUuidHasOneOthersNone) {
    EXPECT_EQ(request_id_tag("0F1E2D3C-4B5A-4968-A776-12AB94a3b2c1"), 0x12ab);
    EXPECT_FALSE(request_id_tag("ecf-probe-0123456789abcdef"));
    EXPECT_FALSE(request_id_tag("0f1e2d3c-4b5a-4968-a776-8594a3b2c1d"));
    EXPECT_FALSE(request_id_tag("0f1e2d3c-4b5a-4968-a776-8594a3b2c1dx"));
    EXPECT_FALSE(request_id_tag("0f1e2d3c4b5a-4968-a776-8594a3b2c1d0-"));
    EXPECT_EQ(tag_request_id("not a uuid", 7), "not a uuid");
}

TEST(RequestIdTag, QueueNamedAfterTheTag) {
    EXPECT_EQ(tagged_result_queue(0x00af), "ecf.results.00af");
    EXPECT_EQ(tagged_result_queue(0xffff), "ecf.results.ffff");
}

}  // namespace
}  // namespace ecf::broker
