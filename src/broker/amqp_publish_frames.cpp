#include "broker/amqp_publish_frames.hpp"

#include <amqp.h>
#include <amqp_framing.h>

#include <algorithm>

#include "broker/amqp_properties.hpp"

namespace ecf::broker {
namespace {

// AMQP 0-9-1 §4.2.3: type (1 octet), channel (2), payload size (4), the payload, frame-end.
constexpr std::size_t kFrameHeader = 7;
constexpr std::size_t kFrameOverhead = kFrameHeader + 1;
constexpr unsigned char kFrameEnd = AMQP_FRAME_END;
// Room for the encoded fields of a method or content header: their strings are short strings
// (a length octet and the bytes), the rest a few fixed-size fields (a publish's ticket and bits,
// a header's property flags); kFieldSlack covers those. A string too long is refused by the
// encoder itself, whatever the room.
constexpr std::size_t kFieldSlack = 16;

std::size_t room_for(const AmqpProperties& p) {
    return kFieldSlack + 6 + p.content_type.size() + p.correlation_id.size() + p.reply_to.size() +
           p.expiration.size() + p.message_id.size() + p.type.size();
}

void put_u16(char* at, std::uint16_t value) {
    at[0] = static_cast<char>(value >> 8);
    at[1] = static_cast<char>(value);
}

void put_u32(char* at, std::uint32_t value) {
    put_u16(at, static_cast<std::uint16_t>(value >> 16));
    put_u16(at + 2, static_cast<std::uint16_t>(value));
}

void put_u64(char* at, std::uint64_t value) {
    put_u32(at, static_cast<std::uint32_t>(value >> 32));
    put_u32(at + 4, static_cast<std::uint32_t>(value));
}

// Opens a frame of `type` at the end of `out`, room for `capacity` payload bytes; returns where
// its payload starts. close_frame() sets its size once the payload is written.
std::size_t open_frame(std::string& out, std::uint8_t type, std::uint16_t channel,
                       std::size_t capacity) {
    const std::size_t start = out.size();
    out.resize(start + kFrameHeader + capacity);
    out[start] = static_cast<char>(type);
    put_u16(out.data() + start + 1, channel);
    return start + kFrameHeader;
}

void close_frame(std::string& out, std::size_t payload_start, std::size_t payload_size) {
    put_u32(out.data() + payload_start - 4, static_cast<std::uint32_t>(payload_size));
    out.resize(payload_start + payload_size);
    out.push_back(static_cast<char>(kFrameEnd));
}

// The encoded length, or AmqpError (the caller restores `out`).
std::size_t encoded(int result, const char* what) {
    if (result < 0) {
        throw AmqpError(std::string("AMQP: publishing: cannot encode the ") + what + ": " +
                        amqp_error_string2(result));
    }
    return static_cast<std::size_t>(result);
}

void append_frames(std::string& out, const AmqpPublication& p, std::size_t frame_max) {
    amqp_basic_publish_t method{};
    method.exchange = amqp_bytes_t{p.exchange.size(), const_cast<char*>(p.exchange.data())};
    method.routing_key =
        amqp_bytes_t{p.routing_key.size(), const_cast<char*>(p.routing_key.data())};
    method.mandatory = p.mandatory ? 1 : 0;
    method.immediate = 0;
    std::size_t room = kFieldSlack + p.exchange.size() + p.routing_key.size();
    std::size_t payload = open_frame(out, AMQP_FRAME_METHOD, p.channel, 4 + room);
    put_u32(out.data() + payload, AMQP_BASIC_PUBLISH_METHOD);
    std::size_t size = 4 + encoded(amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &method,
                                                      amqp_bytes_t{room, out.data() + payload + 4}),
                                   "method");
    close_frame(out, payload, size);

    amqp_basic_properties_t properties = basic_properties_of(p.properties);
    room = room_for(p.properties);
    payload = open_frame(out, AMQP_FRAME_HEADER, p.channel, 12 + room);
    put_u16(out.data() + payload, AMQP_BASIC_CLASS);
    put_u16(out.data() + payload + 2, 0);  // weight
    put_u64(out.data() + payload + 4, p.body.size());
    size = 12 + encoded(amqp_encode_properties(AMQP_BASIC_CLASS, &properties,
                                               amqp_bytes_t{room, out.data() + payload + 12}),
                        "properties");
    close_frame(out, payload, size);

    const std::size_t chunk = frame_max - kFrameOverhead;
    for (std::size_t offset = 0; offset < p.body.size(); offset += chunk) {
        const std::size_t length = std::min(chunk, p.body.size() - offset);
        payload = open_frame(out, AMQP_FRAME_BODY, p.channel, length);
        std::copy_n(p.body.data() + offset, length, out.data() + payload);
        close_frame(out, payload, length);
    }
}

}  // namespace

void append_publish_frames(std::string& out, const AmqpPublication& publication,
                           std::size_t frame_max) {
    if (frame_max <= kFrameOverhead) throw AmqpError("AMQP: publishing: frame_max too small");
    const std::size_t before = out.size();
    try {
        append_frames(out, publication, frame_max);
    } catch (...) {
        out.resize(before);
        throw;
    }
}

}  // namespace ecf::broker
