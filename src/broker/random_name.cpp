#include "broker/random_name.hpp"

#include <cstdio>
#include <random>

namespace ecf::broker {

std::string random_hex64() {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(generator()));
    return text;
}

std::string random_uuid4_text() {
    std::string hex = random_hex64() + random_hex64();
    hex[12] = '4';                                              // version 4
    hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) % 4];  // RFC 4122 variant
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace ecf::broker
