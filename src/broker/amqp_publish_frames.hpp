#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/amqp_connection.hpp"

namespace ecf::broker {

// One basic.publish with its content.
struct AmqpPublication {
    std::uint16_t channel = 0;
    const std::string& exchange;
    const std::string& routing_key;
    const std::string& body;
    const AmqpProperties& properties;
    bool mandatory = false;
};

// Appends the frames of `publication` to `out` exactly as rabbitmq-c's amqp_basic_publish writes
// them (the method, the content header, the body cut into frames of at most `frame_max` bytes),
// so that several publications can leave in one send() where rabbitmq-c makes one per frame.
// Throws AmqpError when a field cannot be encoded (a short string over 255 bytes); `out` is then
// as it was.
void append_publish_frames(std::string& out, const AmqpPublication& publication,
                           std::size_t frame_max);

}  // namespace ecf::broker
