#include "broker/broker_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ecf::broker {
namespace {

TEST(BrokerAddress, OriginalDefaultUsesHostAndPortWithGuest) {
    const auto a = BrokerAddress::parse("http://localhost:5672");
    EXPECT_EQ(a.host, "localhost");
    EXPECT_EQ(a.port, 5672);
    EXPECT_FALSE(a.tls);
    EXPECT_EQ(a.user, "guest");
    EXPECT_EQ(a.password, "guest");
    EXPECT_EQ(a.vhost, "/");
}

TEST(BrokerAddress, OriginalSslSchemeMeansTls) {
    const auto a = BrokerAddress::parse("ssl://rabbit.example:5671");
    EXPECT_TRUE(a.tls);
    EXPECT_EQ(a.host, "rabbit.example");
    EXPECT_EQ(a.port, 5671);
    EXPECT_EQ(a.user, "guest");
}

TEST(BrokerAddress, OriginalStyleIgnoresUserInfoAndPath) {
    const auto a = BrokerAddress::parse("http://bob:secret@10.0.0.5:1234/whatever");
    EXPECT_EQ(a.host, "10.0.0.5");
    EXPECT_EQ(a.port, 1234);
    EXPECT_EQ(a.user, "guest");
    EXPECT_EQ(a.password, "guest");
    EXPECT_EQ(a.vhost, "/");
}

TEST(BrokerAddress, OriginalStyleDefaultPorts) {
    EXPECT_EQ(BrokerAddress::parse("http://h").port, 5672);
    EXPECT_EQ(BrokerAddress::parse("ssl://h").port, 5671);
}

TEST(BrokerAddress, AmqpUriWithCredentialsPortAndVhost) {
    const auto a = BrokerAddress::parse("amqp://alice:s3cr%40t@broker:5673/prod");
    EXPECT_EQ(a.user, "alice");
    EXPECT_EQ(a.password, "s3cr@t");
    EXPECT_EQ(a.host, "broker");
    EXPECT_EQ(a.port, 5673);
    EXPECT_EQ(a.vhost, "prod");
    EXPECT_FALSE(a.tls);
}

TEST(BrokerAddress, SrStyleUriWithoutPathUsesRootVhost) {
    const auto a = BrokerAddress::parse("amqp://rabbitadmin:pw@localhost:5672");
    EXPECT_EQ(a.user, "rabbitadmin");
    EXPECT_EQ(a.password, "pw");
    EXPECT_EQ(a.vhost, "/");
    EXPECT_EQ(BrokerAddress::parse("amqp://h/").vhost, "/");
}

TEST(BrokerAddress, EncodedSlashVhost) {
    EXPECT_EQ(BrokerAddress::parse("amqp://h/%2f").vhost, "/");
    EXPECT_EQ(BrokerAddress::parse("amqp://h/%2Fa%20b").vhost, "/a b");
}

TEST(BrokerAddress, AmqpDefaultPortsAndTls) {
    const auto plain = BrokerAddress::parse("amqp://h");
    EXPECT_EQ(plain.port, 5672);
    EXPECT_FALSE(plain.tls);
    EXPECT_EQ(plain.user, "guest");
    const auto tls = BrokerAddress::parse("amqps://u:p@h");
    EXPECT_EQ(tls.port, 5671);
    EXPECT_TRUE(tls.tls);
}

TEST(BrokerAddress, UserWithoutPasswordHasEmptyPassword) {
    const auto a = BrokerAddress::parse("amqp://only@h");
    EXPECT_EQ(a.user, "only");
    EXPECT_EQ(a.password, "");
}

TEST(BrokerAddress, Ipv6Host) {
    const auto a = BrokerAddress::parse("amqp://[::1]:5000");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 5000);
}

TEST(BrokerAddress, RejectsBadInput) {
    EXPECT_THROW(BrokerAddress::parse(""), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("localhost:5672"), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("ftp://h:21"), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("amqp://h:0"), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("amqp://h:99999"), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("amqp:///vhost"), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("amqp://h/a/b"), std::invalid_argument);
    EXPECT_THROW(BrokerAddress::parse("amqp://h:5672 x"), std::invalid_argument);
}

TEST(BrokerAddress, ErrorsNeverQuoteThePassword) {
    for (const char* url : {"ftp://u:topsecret@h", "amqp://u:topsecret@h/a/b",
                            "amqp://u:topsecret@h:0", "amqp://u:topsecret@h:5672 x"}) {
        try {
            BrokerAddress::parse(url);
            ADD_FAILURE() << "accepted a bad URL";
        } catch (const std::invalid_argument& e) {
            EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
        }
    }
}

TEST(BrokerAddress, RedactedHasNoPassword) {
    const auto a = BrokerAddress::parse("amqps://alice:topsecret@h:1/v");
    EXPECT_EQ(a.redacted(), "amqps://alice@h:1/v");
    EXPECT_EQ(BrokerAddress::parse("http://h:5672").redacted(), "amqp://guest@h:5672/%2f");
}

}  // namespace
}  // namespace ecf::broker
