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

}  // namespace ecf::broker
