#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "http/route_limits.hpp"

namespace ecf::http {

// The outcome of parsing a request body within JsonLimits.
struct BoundedJson {
    bool ok = false;
    boost::json::value value;  // when ok
    // When not ok: which limit the text went past ("more than 10000 values"), or empty when the
    // text is not JSON.
    std::string limit_exceeded;
};

// Parses `text` as one JSON document, refusing it before anything is built when it goes past a
// limit: a first pass counts without allocating, so a body of a million elements costs no
// memory beyond the body itself.
BoundedJson parse_bounded_json(std::string_view text, const JsonLimits& limits);

}  // namespace ecf::http
