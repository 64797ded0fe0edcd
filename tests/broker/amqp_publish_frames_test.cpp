#include "broker/amqp_publish_frames.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "broker/amqp_properties.hpp"

namespace ecf::broker {
namespace {

// What rabbitmq-c's own amqp_basic_publish writes for the same publication, read from the other
// end of a socket pair: our frames must be byte for byte the same.
class RabbitmqcWriter {
  public:
    RabbitmqcWriter() {
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
        state_ = amqp_new_connection();
        socket_ = amqp_tcp_socket_new(state_);
        amqp_tcp_socket_set_sockfd(socket_, fds_[0]);
    }
    ~RabbitmqcWriter() {
        amqp_destroy_connection(state_);  // closes fds_[0]
        ::close(fds_[1]);
    }

    std::size_t frame_max() const { return static_cast<std::size_t>(amqp_get_frame_max(state_)); }

    std::string publish(const AmqpPublication& p) {
        const amqp_basic_properties_t properties = basic_properties_of(p.properties);
        const int status = amqp_basic_publish(
            state_, p.channel,
            amqp_bytes_t{p.exchange.size(), const_cast<char*>(p.exchange.data())},
            amqp_bytes_t{p.routing_key.size(), const_cast<char*>(p.routing_key.data())},
            p.mandatory ? 1 : 0, 0, &properties,
            amqp_bytes_t{p.body.size(), const_cast<char*>(p.body.data())});
        EXPECT_EQ(status, AMQP_STATUS_OK);
        ::shutdown(fds_[0], SHUT_WR);
        std::string written;
        char buffer[65536];
        for (int reads = 0; reads < 10'000; ++reads) {
            const ssize_t n = ::read(fds_[1], buffer, sizeof buffer);
            if (n <= 0) break;
            written.append(buffer, static_cast<std::size_t>(n));
        }
        return written;
    }

  private:
    int fds_[2] = {-1, -1};
    amqp_connection_state_t state_ = nullptr;
    amqp_socket_t* socket_ = nullptr;
};

void expect_same_bytes_as_rabbitmqc(const AmqpPublication& publication) {
    RabbitmqcWriter rabbitmqc;
    std::string ours = "kept";  // appended to, never overwritten
    append_publish_frames(ours, publication, rabbitmqc.frame_max());
    EXPECT_EQ(ours, "kept" + rabbitmqc.publish(publication));
}

TEST(AmqpPublishFramesTest, AnExecutionRequestIsEncodedAsRabbitmqcEncodesIt) {
    const std::string exchange, queue = "Flavour", body = R"({"lang":"PY","params":[]})";
    AmqpProperties properties;
    properties.content_type = "application/json";
    properties.correlation_id = "0b7d4c9e-3f2a-4c55-9a41-4f7e0c1d2e3f";
    properties.expiration = "120000";
    expect_same_bytes_as_rabbitmqc({1, exchange, queue, body, properties, /*mandatory=*/true});
}

TEST(AmqpPublishFramesTest, EveryPropertyAndAnEmptyBodyAreEncodedAsRabbitmqcEncodesThem) {
    const std::string exchange = "results", key = "ecf-1a2b.question", body;
    AmqpProperties properties;
    properties.content_type = "application/json";
    properties.correlation_id = "c";
    properties.reply_to = "ecf-results-1a2b";
    properties.expiration = "1";
    properties.message_id = "m";
    properties.type = "ecf.result-question";
    expect_same_bytes_as_rabbitmqc({7, exchange, key, body, properties, /*mandatory=*/false});
}

TEST(AmqpPublishFramesTest, ShortStringsAtTheirLongestAreEncodedAsRabbitmqcEncodesThem) {
    const std::string exchange(255, 'e'), key(255, 'k'), body = "{}";
    AmqpProperties properties;
    for (auto* field : {&properties.content_type, &properties.correlation_id, &properties.reply_to,
                        &properties.expiration, &properties.message_id, &properties.type}) {
        field->assign(255, 'p');
    }
    expect_same_bytes_as_rabbitmqc({3, exchange, key, body, properties, /*mandatory=*/true});
}

TEST(AmqpPublishFramesTest, ABodyLargerThanAFrameIsCutAsRabbitmqcCutsIt) {
    RabbitmqcWriter probe;
    const std::string exchange, queue = "Flavour";
    // Two full body frames and a part of a third.
    const std::string body(probe.frame_max() * 2 + 100, 'x');
    expect_same_bytes_as_rabbitmqc({1, exchange, queue, body, AmqpProperties{}, true});
}

TEST(AmqpPublishFramesTest, AFieldTooLongForAShortStringIsRefusedAndLeavesTheBufferAsItWas) {
    const std::string exchange, queue(256, 'q'), body = "{}";
    std::string out = "kept";
    EXPECT_THROW(
        append_publish_frames(out, {1, exchange, queue, body, AmqpProperties{}, true}, 131072),
        AmqpError);
    EXPECT_EQ(out, "kept");
    AmqpProperties properties;
    properties.correlation_id.assign(300, 'c');
    EXPECT_THROW(append_publish_frames(out, {1, exchange, "q", body, properties, true}, 131072),
                 AmqpError);
    EXPECT_EQ(out, "kept");
}

}  // namespace
}  // namespace ecf::broker
