#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecf::observability {

// What the access log and the metrics keep of one request. Nothing here may hold a token or a
// password: the user name is the only thing taken from a token.
struct AccessRecord {
    std::string_view method;
    std::string_view target;  // path and query as received; the access log drops query values
    unsigned status = 0;
    std::chrono::microseconds duration{0};
    std::string_view request_id;
    std::string_view user;  // empty when the caller is not known
    std::string_view peer;  // remote address
    // What the handler adds for the log (an execution's function, flavour, execution id, queue
    // time): name and value; never a secret. Null when none.
    const std::vector<std::pair<std::string, std::string>>* fields = nullptr;
};

}  // namespace ecf::observability
