#pragma once

// Tokens travel as base64 in the URL-safe alphabet (spec "Text format"). Decoding also accepts
// the standard alphabet, with or without `=` padding, and surrounding ASCII whitespace.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace biscuit {

// URL-safe alphabet with padding, as the reference implementation writes it.
std::string base64_encode(std::span<const std::uint8_t> bytes);
// Throws Error{Base64, "InvalidCharacter"/"InvalidLength"}.
std::vector<std::uint8_t> base64_decode(std::string_view text);

}  // namespace biscuit
