#include "http/validation_error.hpp"

#include <boost/json/serializer.hpp>

namespace ecf::http {
namespace {

namespace json = boost::json;

// The longest prefix of `text` of at most `limit` bytes that does not split a UTF-8 character.
std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

}  // namespace

json::value ValidationProblems::bounded_echo(const json::value& input) {
    if (input.is_string()) {
        const auto& text = input.as_string();
        if (text.size() <= kMaxInputBytes) return input;
        return json::string(utf8_prefix(text, kMaxInputBytes));
    }
    if (!input.is_array() && !input.is_object()) return input;
    // Serialize only as much as is echoed: the serializer writes into a small buffer, so a large
    // array costs no more than its first bytes.
    json::serializer serializer;
    serializer.reset(&input);
    char buffer[kMaxInputBytes + 1];
    const auto written = serializer.read(buffer, sizeof buffer);
    if (serializer.done() && written.size() <= kMaxInputBytes) return input;
    return json::string(utf8_prefix(written, kMaxInputBytes));
}

}  // namespace ecf::http
