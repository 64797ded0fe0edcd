#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "broker/execution_broker.hpp"

namespace ecf::runtime {

// One execution request as it arrives on a flavour queue (contract §4).
struct RequestMessage {
    std::string request_id;  // routing key of the result on exchange `results`
    std::string mode;        // "sync" or "async"; both run the same way, as in the SR
    boost::json::value payload;
};

// Throws ecf::Error (Unprocessable) with the reason when `body` is not such a message. The
// reason names what is wrong, never the content, which may be large.
RequestMessage parse_request_message(std::string_view body);

// The result message published to `results`: {"code": <int>, "message": <body>}.
std::string result_message_body(const broker::ExecutionResult& result);

}  // namespace ecf::runtime
