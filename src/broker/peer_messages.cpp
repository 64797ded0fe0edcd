#include "broker/peer_messages.hpp"

#include <algorithm>

namespace ecf::broker {

bool is_instance_result_queue(std::string_view name) {
    constexpr std::string_view prefix = "ecf.results.";
    if (name.size() != prefix.size() + 4 || name.substr(0, prefix.size()) != prefix) return false;
    const auto tag = name.substr(prefix.size());
    return std::all_of(tag.begin(), tag.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace ecf::broker
