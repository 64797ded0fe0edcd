#pragma once

#include <biscuit/datalog/ast.hpp>
#include <biscuit/error.hpp>

namespace ecf::auth {

// Whether `check` bounds the request's time: one of its queries reads `time($t)` and compares
// `$t` with a date literal (`$t < 2030-01-01T00:00:00Z`, `2030-... > $t`, ...). Such a check
// failing means the token has expired (or is not valid yet), which clients are told apart from
// other refusals. Read from the check's structure, never from its printed text.
bool is_time_bound(const biscuit::datalog::Check& check);

// Whether an authorization error is a refusal with a failed time-bound check among its causes.
bool failed_on_time(const biscuit::Error& error);

}  // namespace ecf::auth
