#pragma once

#include <string_view>

#include "documents/document.hpp"

namespace ecf::documents {

// How deep a TEMPLATE value may nest (GEOLOCATION is one level); deeper is refused.
inline constexpr int kMaxTemplateDepth = 16;

// Parses OpenNebula's <DOCUMENT> XML (contract §3). TEMPLATE children become template_values:
// text or CDATA → JSON string, nested elements → JSON object, repeated elements → JSON array.
// Throws ecf::Error(Internal) on malformed, oversized or too deep input; the message never quotes
// the input.
Document parse_document_xml(std::string_view xml);

}  // namespace ecf::documents
