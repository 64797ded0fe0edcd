#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ecf::runtime {

// The SR's ExecResponse: {"ret_code": 0 | -1, "res": string | null, "err": string | null}.

// `res` of a failed execution. The real SR puts base64(cloudpickle.dumps(None)) there rather than
// null, and today's Python device client base64-decodes and unpickles `res` unconditionally, so a
// null would crash it where this decodes to None.
inline constexpr std::string_view kPickledNone = "gAVOLg==";

// The ExecResponse of an execution that failed for `reason` (ret_code -1).
boost::json::object failed_exec_response(std::string_view reason);

// `value` as an ExecResponse with exactly its three keys, or nothing when it is not one.
std::optional<boost::json::object> as_exec_response(const boost::json::value& value);

}  // namespace ecf::runtime
