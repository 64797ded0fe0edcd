#include "broker/broker_address.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <stdexcept>

#include "core/address_list.hpp"

namespace ecf::broker {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes one URI component; Boost.URL has already checked the escapes are well formed,
// but a component is decoded here on its own so that "%2f" in a vhost stays one segment.
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

}  // namespace

std::vector<BrokerAddress> parse_broker_addresses(std::string_view text) {
    std::vector<BrokerAddress> addresses;
    const auto items = split_address_list(text);
    if (items.empty()) throw std::invalid_argument("broker names no address");
    for (std::size_t i = 0; i < items.size(); ++i) {
        try {
            addresses.push_back(BrokerAddress::parse(items[i]));
        } catch (const std::invalid_argument& e) {
            if (items.size() == 1) throw;
            throw std::invalid_argument("address " + std::to_string(i + 1) + ": " + e.what());
        }
    }
    return addresses;
}

std::string redacted(const std::vector<BrokerAddress>& addresses) {
    std::string text;
    for (const auto& address : addresses) {
        if (!text.empty()) text += ", ";
        text += address.redacted();
    }
    return text;
}

BrokerAddress BrokerAddress::parse(std::string_view url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        // The URL itself may hold a password: describe the problem, do not quote the input.
        throw std::invalid_argument("broker address is not a valid URL");
    }
    const boost::urls::url_view& u = *parsed;
    BrokerAddress address;
    const std::string scheme = u.scheme();
    bool original_style = false;
    if (scheme == "amqp") {
        address.tls = false;
    } else if (scheme == "amqps") {
        address.tls = true;
    } else if (scheme == "http") {
        original_style = true;
        address.tls = false;
    } else if (scheme == "ssl" || scheme == "https") {
        original_style = true;
        address.tls = true;
    } else {
        throw std::invalid_argument("broker address has an unsupported scheme '" + scheme +
                                    "' (expected amqp, amqps, http or ssl)");
    }
    if (!u.has_authority()) throw std::invalid_argument("broker address has no host");
    if (u.host_type() == boost::urls::host_type::ipv6) {
        address.host = u.host_address();
    } else {
        address.host = u.host();
    }
    if (address.host.empty()) throw std::invalid_argument("broker address has no host");

    address.port = address.tls ? 5671 : 5672;
    if (u.has_port()) {
        // Boost.URL's port_number() wraps silently above 65535: read the digits ourselves.
        const std::string digits = u.port();
        unsigned long port = 0;
        for (char c : digits) {
            if (c < '0' || c > '9' || port > 65535) break;
            port = port * 10 + static_cast<unsigned long>(c - '0');
        }
        if (digits.empty() || digits.size() > 5 || port == 0 || port > 65535) {
            throw std::invalid_argument("broker address has an invalid port");
        }
        address.port = static_cast<std::uint16_t>(port);
    }
    if (original_style) return address;  // the original uses only host and port

    if (u.has_userinfo()) {
        address.user = percent_decode(u.encoded_user());
        address.password = u.has_password() ? percent_decode(u.encoded_password()) : "";
    }
    std::string_view path = u.encoded_path();
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (!path.empty()) {
        if (path.find('/') != std::string_view::npos) {
            throw std::invalid_argument(
                "broker address path must be one segment: the vhost (write '/' as %2f)");
        }
        address.vhost = percent_decode(path);
    }
    return address;
}

std::string BrokerAddress::redacted() const {
    std::string host_part = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? "amqps" : "amqp") + "://" + user + "@" + host_part + ":" +
           std::to_string(port) + "/" + (vhost == "/" ? "%2f" : vhost);
}

}  // namespace ecf::broker
