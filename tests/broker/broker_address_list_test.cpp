#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "broker/broker_address.hpp"
#include "core/address_list.hpp"

namespace ecf::broker {
namespace {

TEST(BrokerAddressList, OneAddressReadsAsBefore) {
    const auto list = parse_broker_addresses("amqp://u:p@rabbit:5673/v");
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].host, "rabbit");
    EXPECT_EQ(list[0].port, 5673);
    EXPECT_EQ(list[0].vhost, "v");
}

TEST(BrokerAddressList, CommaSeparatedNodesInAnyForm) {
    const auto list = parse_broker_addresses(
        "http://10.0.0.1:5672, amqp://ecf:pw@10.0.0.2/prod ,amqps://ecf:pw@10.0.0.3");
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].host, "10.0.0.1");
    EXPECT_EQ(list[0].user, "guest");
    EXPECT_EQ(list[1].host, "10.0.0.2");
    EXPECT_EQ(list[1].vhost, "prod");
    EXPECT_TRUE(list[2].tls);
    EXPECT_EQ(list[2].port, 5671);
}

TEST(BrokerAddressList, ACommaInAPasswordDoesNotSplit) {
    const auto one = parse_broker_addresses("amqp://ecf:a,b@rabbit/");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].password, "a,b");
    const auto two = parse_broker_addresses("amqp://ecf:a,b@r1/,amqp://ecf:c,d@r2/");
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].password, "a,b");
    EXPECT_EQ(two[1].password, "c,d");
}

TEST(BrokerAddressList, YamlListItemsArriveOnLines) {
    // The configuration loader hands a YAML list as its items joined by newlines.
    const auto list = parse_broker_addresses("amqp://ecf:a,b@r1/\n\namqp://r2\n");
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].password, "a,b");
    EXPECT_EQ(list[1].host, "r2");
}

TEST(BrokerAddressList, RefusedWithoutQuotingAndNamingTheItem) {
    EXPECT_THROW(parse_broker_addresses(""), std::invalid_argument);
    EXPECT_THROW(parse_broker_addresses(" , "), std::invalid_argument);
    try {
        parse_broker_addresses("amqp://r1,ftp://u:secret@r2");
        FAIL();
    } catch (const std::invalid_argument& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("address 2"), std::string::npos) << message;
        EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    }
}

TEST(BrokerAddressList, BoundedCount) {
    std::string text;
    for (int i = 0; i < 65; ++i) text += "amqp://r" + std::to_string(i) + ",";
    EXPECT_THROW(split_address_list(text), std::invalid_argument);
}

TEST(BrokerAddressList, RedactedListHasNoPasswords) {
    const auto text = redacted(parse_broker_addresses("amqp://u:secret@r1,amqp://u:secret@r2"));
    EXPECT_EQ(text, "amqp://u@r1:5672/%2f, amqp://u@r2:5672/%2f");
}

}  // namespace
}  // namespace ecf::broker
