// libFuzzer target: OpenNebula's XML-RPC answer of one.document.info and the document XML in it.
// Whatever the bytes, the parsers must return or throw ecf::Error, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "documents/document_info_xmlrpc.hpp"
#include "documents/document_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        const auto answer = ecf::documents::parse_document_info_response(input);
        if (answer.success) (void)ecf::documents::parse_document_xml(answer.body);
    } catch (const ecf::Error&) {
    }
    // The document parser alone, so mutations reach it without the XML-RPC envelope's escaping.
    try {
        (void)ecf::documents::parse_document_xml(input);
    } catch (const ecf::Error&) {
    }
    return 0;
}
