#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ecf::documents {

// The XML-RPC wire format of OpenNebula's `one.document.info` (contract §3). Depends only on
// pugixml and src/core, so the fuzz build can compile it alone.

// The methodCall for `one.document.info(session, id)`. The session is escaped, never logged.
std::string document_info_request(std::string_view session, std::int64_t id);

// OpenNebula's answer `[success, body, error code, ...]`.
struct DocumentInfoAnswer {
    bool success = false;
    std::string body;  // the document's XML on success, the error message otherwise
    std::int64_t error_code = 0;
};

// Larger inputs are refused before parsing.
inline constexpr std::size_t kMaxXmlBytes = 8 * 1024 * 1024;

// Parses a methodResponse. Throws ecf::Error(Internal) on a fault, malformed XML or an answer of
// another shape; the message never quotes the input.
DocumentInfoAnswer parse_document_info_response(std::string_view xml);

}  // namespace ecf::documents
