#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ecf::broker {

// Where the RabbitMQ broker is and how to log in to it.
//
// Accepts the original ECF's URLs (`http://host:port`, `ssl://host:port`: only host and port are
// used, `ssl` meaning TLS; user guest/guest, vhost "/") and the standard AMQP URIs the SRs use
// (`amqp://user:pass@host:port/vhost`, `amqps://...`, percent-decoded; default ports 5672/5671).
// An empty vhost (`amqp://host` or `amqp://host/`) means "/", as pika reads it, so that the SRs'
// URLs and ours name the same vhost.
struct BrokerAddress {
    std::string host = "localhost";
    std::uint16_t port = 5672;
    bool tls = false;
    std::string user = "guest";
    std::string password = "guest";  // secret: never log it (use redacted())
    std::string vhost = "/";

    // Throws std::invalid_argument with a message that never repeats the password.
    static BrokerAddress parse(std::string_view url);

    // The address for logs and error messages: scheme, user, host, port and vhost, no password.
    std::string redacted() const;
};

// The `broker` configuration as a list of addresses: the nodes of one RabbitMQ cluster (same
// vhost, same users), split as core/address_list.hpp says, each in any form
// BrokerAddress::parse accepts. Throws std::invalid_argument (never quoting the text).
std::vector<BrokerAddress> parse_broker_addresses(std::string_view text);

// The addresses of a list for logs: each redacted(), separated by ", ".
std::string redacted(const std::vector<BrokerAddress>& addresses);

}  // namespace ecf::broker
