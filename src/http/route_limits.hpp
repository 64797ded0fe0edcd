#pragma once

#include <cstddef>
#include <limits>

namespace ecf::http {

// How much of a JSON body a route parses: the nesting depth, the number of values (every
// scalar, array and object counts one), and the length of any one string or key in bytes.
struct JsonLimits {
    std::size_t max_depth = 32;
    std::size_t max_values = 10'000;
    std::size_t max_string_bytes = 64 * 1024;
};

// Which of the server's two body limits a route takes: most routes read small JSON documents;
// the routes that carry a function's parameters or code take the configured max_body_bytes.
enum class BodySize { Small, Large };

// The work a route accepts from one request, fixed when the route is added. The server applies
// the body limit before reading a byte of the body; handlers parse JSON within `json`.
struct RouteLimits {
    BodySize body = BodySize::Small;
    JsonLimits json;
    // A route that may wait long for nothing but its client (a long poll, a sync execution):
    // its handler is cancelled when the client closes the connection, rather than waiting on
    // for nobody.
    bool ends_when_client_leaves = false;
};

// For routes whose strings are opaque payloads (serialized parameters, function code): only the
// body limit bounds them.
inline RouteLimits large_payload_limits() {
    RouteLimits limits;
    limits.body = BodySize::Large;
    limits.json.max_string_bytes = std::numeric_limits<std::size_t>::max();
    return limits;
}

// For executions: their parameters are opaque payloads, and a sync execution, which waits for
// its runtime up to its deadline, ends when its client leaves (its waiting slots go back).
inline RouteLimits execution_limits() {
    RouteLimits limits = large_payload_limits();
    limits.ends_when_client_leaves = true;
    return limits;
}

// For long polls: small bodies, and the handler ends when its client leaves.
inline RouteLimits long_poll_limits() {
    RouteLimits limits;
    limits.ends_when_client_leaves = true;
    return limits;
}

}  // namespace ecf::http
