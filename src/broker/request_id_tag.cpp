#include "broker/request_id_tag.hpp"

#include <cstdio>

namespace ecf::broker {
namespace {

constexpr std::size_t kUuidLength = 36;
constexpr std::size_t kTagOffset = 24;  // after the fourth '-'

bool canonical_uuid(std::string_view id) {
    if (id.size() != kUuidLength) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        const char c = id[i];
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

}  // namespace

std::string tag_request_id(std::string uuid, std::uint16_t tag) {
    if (!canonical_uuid(uuid)) return uuid;
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 4; ++i) {
        uuid[kTagOffset + i] = digits[(tag >> (12 - 4 * i)) & 0xf];
    }
    return uuid;
}

std::optional<std::uint16_t> request_id_tag(std::string_view id) {
    if (!canonical_uuid(id)) return std::nullopt;
    std::uint16_t tag = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        tag = static_cast<std::uint16_t>((tag << 4) | hex_value(id[kTagOffset + i]));
    }
    return tag;
}

std::string tagged_result_queue(std::uint16_t tag) {
    char text[5];
    std::snprintf(text, sizeof text, "%04x", static_cast<unsigned>(tag));
    return std::string("ecf.results.") + text;
}

}  // namespace ecf::broker
