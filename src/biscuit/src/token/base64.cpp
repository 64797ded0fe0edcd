#include <array>
#include <biscuit/base64.hpp>
#include <biscuit/error.hpp>

namespace biscuit {
namespace {

constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = -1;
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<std::int8_t>(i);
    table['+'] = 62;  // the standard alphabet, accepted too
    table['/'] = 63;
    return table;
}
constexpr auto kDecode = make_decode_table();

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
        out.push_back(kUrlAlphabet[v >> 18 & 63]);
        out.push_back(kUrlAlphabet[v >> 12 & 63]);
        out.push_back(kUrlAlphabet[v >> 6 & 63]);
        out.push_back(kUrlAlphabet[v & 63]);
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t v = bytes[i] << 16 | (rest == 2 ? bytes[i + 1] << 8 : 0);
        out.push_back(kUrlAlphabet[v >> 18 & 63]);
        out.push_back(kUrlAlphabet[v >> 12 & 63]);
        out.push_back(rest == 2 ? kUrlAlphabet[v >> 6 & 63] : '=');
        out.push_back('=');
    }
    return out;
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    std::size_t padding = 0;
    while (!text.empty() && text.back() == '=' && padding < 2) {
        text.remove_suffix(1);
        ++padding;
    }
    if (text.size() % 4 == 1) throw Error(Base64Error::InvalidLength);
    if (padding > 0 && (text.size() + padding) % 4 != 0) throw Error(Base64Error::InvalidPadding);
    std::vector<std::uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        std::int8_t v = kDecode[static_cast<unsigned char>(c)];
        if (v < 0) throw Error(Base64Error::InvalidCharacter);
        acc = acc << 6 | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits & 0xff));
        }
    }
    // Leftover bits must be zero, so that one token has one text form.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) throw Error(Base64Error::InvalidLastSymbol);
    return out;
}

}  // namespace biscuit
