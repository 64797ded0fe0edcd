#include "observability/log_text.hpp"

#include <cstdint>

namespace ecf::observability {
namespace {

void append_escaped(std::string& out, unsigned char byte) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0F];
}

// The length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF) and its code point; 0 when it is not one.
std::size_t utf8_sequence(std::string_view text, std::uint32_t& code_point) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    std::uint32_t least = 0;
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, code_point = lead & 0x1F, least = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, code_point = lead & 0x0F, least = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, code_point = lead & 0x07, least = 0x10000;
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
        code_point = (code_point << 6) | (byte(i) & 0x3F);
    }
    if (code_point < least || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return 0;
    }
    return length;
}

bool printable(std::uint32_t code_point) {
    if (code_point < 0x20 || code_point == 0x7F) return false;
    if (code_point >= 0x80 && code_point <= 0x9F) return false;
    if (code_point == 0x2028 || code_point == 0x2029) return false;
    return code_point != '"' && code_point != '\\';
}

}  // namespace

std::string printable_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        std::uint32_t code_point = 0;
        const std::size_t length = utf8_sequence(text, code_point);
        if (length == 0 || !printable(code_point)) {
            // An invalid or unprintable sequence is escaped one byte at a time.
            const std::size_t bytes = length == 0 ? 1 : length;
            for (std::size_t i = 0; i < bytes; ++i) {
                append_escaped(out, static_cast<unsigned char>(text[i]));
            }
            text.remove_prefix(bytes);
        } else {
            out.append(text.substr(0, length));
            text.remove_prefix(length);
        }
    }
    return out;
}

std::string loggable_target(std::string_view target) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) return printable_utf8(target);
    std::string kept(target.substr(0, question + 1));
    std::string_view query = target.substr(question + 1);
    bool first = true;
    while (!query.empty() || first) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (!first) kept += '&';
        kept += pair.substr(0, pair.find('='));
        first = false;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return printable_utf8(kept);
}

}  // namespace ecf::observability
