#include "core/address_list.hpp"

#include <cctype>
#include <stdexcept>

namespace ecf {
namespace {

std::string_view trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// True when `s` (after blanks) starts with "<letters, digits, + - .>://": a new address.
bool starts_with_scheme(std::string_view s) {
    s = trimmed(s);
    std::size_t i = 0;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' ||
                            s[i] == '-' || s[i] == '.')) {
        ++i;
    }
    return i > 0 && std::isalpha(static_cast<unsigned char>(s[0])) && s.substr(i, 3) == "://";
}

constexpr std::size_t kMaxAddresses = 64;  // a cluster's nodes; a bound like every list here

}  // namespace

std::vector<std::string> split_address_list(std::string_view text) {
    std::vector<std::string> items;
    auto add = [&items](std::string_view item) {
        item = trimmed(item);
        if (item.empty()) return;
        if (items.size() == kMaxAddresses) {
            throw std::invalid_argument("more than 64 addresses");
        }
        items.emplace_back(item);
    };
    // A YAML list arrives as its items joined by newlines: those never split at commas (a
    // password may hold one).
    if (text.find('\n') != std::string_view::npos) {
        std::size_t start = 0;
        while (start <= text.size()) {
            auto end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            add(text.substr(start, end - start));
            start = end + 1;
        }
        return items;
    }
    std::size_t start = 0;
    std::size_t from = 0;
    while (true) {
        const auto comma = text.find(',', from);
        if (comma == std::string_view::npos) {
            add(text.substr(start));
            break;
        }
        if (starts_with_scheme(text.substr(comma + 1))) {
            add(text.substr(start, comma - start));
            start = comma + 1;
        }
        from = comma + 1;
    }
    return items;
}

}  // namespace ecf
