#include "http/request_id.hpp"

#include <cctype>
#include <random>

namespace ecf::http {

std::string make_request_id() {
    // Ids only tell requests apart in logs; they guard nothing, so a per-thread engine is enough.
    thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string id(32, '0');
    for (std::size_t i = 0; i < id.size(); i += 16) {
        auto bits = engine();
        for (std::size_t j = 0; j < 16; ++j, bits >>= 4) id[i + j] = digits[bits & 0xf];
    }
    return id;
}

bool is_sane_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id) {
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':') return false;
    }
    return true;
}

}  // namespace ecf::http
