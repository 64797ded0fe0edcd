#include "documents/document_info_xmlrpc.hpp"

#include <charconv>
#include <pugixml.hpp>

#include "core/error.hpp"

namespace ecf::documents {
namespace {

void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
}

[[noreturn]] void malformed(std::string_view what) {
    throw Error(ErrorKind::Internal,
                "OpenNebula sent a malformed XML-RPC answer (" + std::string(what) + ")");
}

std::int64_t parse_integer(std::string_view text, std::string_view what) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t'))
        text.remove_suffix(1);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) malformed(what);
    return value;
}

// The text of an XML-RPC <value>: the typed child's text, or the value's own text (a <value>
// without a type element is a string).
struct TypedValue {
    std::string_view type;
    std::string text;
};

std::string text_of(const pugi::xml_node& node) {
    std::string text;
    for (const auto& child : node.children()) {
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
            text += child.value();
    }
    return text;
}

TypedValue typed_value(const pugi::xml_node& value) {
    const auto typed =
        value.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; });
    if (!typed) return {"string", text_of(value)};
    return {typed.name(), text_of(typed)};
}

}  // namespace

std::string document_info_request(std::string_view session, std::int64_t id) {
    std::string xml;
    xml.reserve(256 + session.size());
    xml +=
        "<?xml version=\"1.0\"?>\n<methodCall><methodName>one.document.info</methodName>"
        "<params><param><value><string>";
    append_escaped(xml, session);
    xml += "</string></value></param><param><value><int>";
    xml += std::to_string(id);
    xml += "</int></value></param></params></methodCall>\n";
    return xml;
}

DocumentInfoAnswer parse_document_info_response(std::string_view xml) {
    if (xml.size() > kMaxXmlBytes) malformed("too large");
    pugi::xml_document document;
    const auto result =
        document.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!result) malformed("not XML");
    const auto response = document.child("methodResponse");
    if (!response) malformed("no methodResponse");
    if (const auto fault = response.child("fault")) {
        throw Error(ErrorKind::Internal, "OpenNebula answered with an XML-RPC fault");
    }
    const auto data =
        response.child("params").child("param").child("value").child("array").child("data");
    if (!data) malformed("no result array");

    DocumentInfoAnswer answer;
    int index = 0;
    for (const auto& value : data.children("value")) {
        if (index == 3) break;  // OpenNebula may add more items; contract §3 uses three
        const auto typed = typed_value(value);
        switch (index) {
            case 0:
                if (typed.type != "boolean") malformed("success is not a boolean");
                if (typed.text == "1")
                    answer.success = true;
                else if (typed.text == "0")
                    answer.success = false;
                else
                    malformed("success is not 0 or 1");
                break;
            case 1:
                if (typed.type != "string") malformed("body is not a string");
                answer.body = typed.text;
                break;
            case 2:
                if (typed.type != "i4" && typed.type != "int" && typed.type != "i8")
                    malformed("error code is not an integer");
                answer.error_code = parse_integer(typed.text, "error code is not an integer");
                break;
        }
        ++index;
    }
    // A success needs its body; a failure needs its code (pyone reads the same items).
    if (index < 2 || (!answer.success && index < 3)) malformed("result array too short");
    return answer;
}

}  // namespace ecf::documents
