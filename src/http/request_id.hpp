#pragma once

#include <string>
#include <string_view>

namespace ecf::http {

// A fresh id for a request that did not bring one: 32 hex digits.
std::string make_request_id();

// Whether a client's own X-Request-Id may be echoed and logged: 1 to 64 characters of letters,
// digits and "-_.:". Anything else is replaced by a fresh id.
bool is_sane_request_id(std::string_view id) noexcept;

}  // namespace ecf::http
