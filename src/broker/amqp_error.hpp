#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ecf::broker {

// A failure of the AMQP connection (socket, handshake, login, or a connection.close from the
// broker). The connection is unusable after it. Messages never hold a password.
class AmqpError : public std::runtime_error {
  public:
    explicit AmqpError(const std::string& message) : std::runtime_error(message) {}
};

// The broker closed one channel (e.g. 406 PRECONDITION_FAILED on a declaration with other
// properties, 404 NOT_FOUND on a passive declaration). The connection and the other channels
// live on; the channel must be opened again before it is used.
class AmqpChannelError : public AmqpError {
  public:
    AmqpChannelError(std::uint16_t channel, std::uint16_t reply_code, const std::string& message)
        : AmqpError(message), channel_(channel), reply_code_(reply_code) {}

    std::uint16_t channel() const noexcept { return channel_; }
    std::uint16_t reply_code() const noexcept { return reply_code_; }

  private:
    std::uint16_t channel_;
    std::uint16_t reply_code_;
};

}  // namespace ecf::broker
