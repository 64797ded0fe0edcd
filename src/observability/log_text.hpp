#pragma once

#include <string>
#include <string_view>

namespace ecf::observability {

// `text` as printable UTF-8, for a log line: valid UTF-8 printable characters stay as they are;
// every other byte (controls, DEL, C1 controls, U+2028/U+2029, bytes that are not UTF-8) and the
// characters that delimit log fields (`"` and `\`) become `\xNN`. The result holds no line break,
// so one request stays one line whatever it sent.
std::string printable_utf8(std::string_view text);

// A request target as the log keeps it: the path, then the query's keys without their values
// (`/v1/x?app_req_id&mode`), since a value may be a secret; escaped with printable_utf8.
std::string loggable_target(std::string_view target);

}  // namespace ecf::observability
