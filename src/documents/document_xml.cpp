#include "documents/document_xml.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <pugixml.hpp>

#include "core/error.hpp"
#include "documents/document_info_xmlrpc.hpp"

namespace ecf::documents {
namespace {

[[noreturn]] void malformed(std::string_view what) {
    throw Error(ErrorKind::Internal,
                "OpenNebula sent a malformed document (" + std::string(what) + ")");
}

std::string text_of(const pugi::xml_node& node) {
    std::string text;
    for (const auto& child : node.children()) {
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
            text += child.value();
    }
    return text;
}

std::int64_t integer_child(const pugi::xml_node& parent, const char* name) {
    const auto node = parent.child(name);
    if (!node) malformed(std::string("no ") + name);
    const auto text = text_of(node);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        malformed(std::string(name) + " is not an integer");
    return value;
}

std::string string_child(const pugi::xml_node& parent, const char* name) {
    const auto node = parent.child(name);
    if (!node) malformed(std::string("no ") + name);
    return text_of(node);
}

bool has_element_children(const pugi::xml_node& node) {
    for (const auto& child : node.children())
        if (child.type() == pugi::node_element) return true;
    return false;
}

boost::json::value template_value(const pugi::xml_node& node, int depth);

// Elements of one parent become an object; a name seen twice becomes an array of its values,
// as OpenNebula's own template-to-JSON conversion does.
boost::json::object template_object(const pugi::xml_node& parent, int depth) {
    if (depth > kMaxTemplateDepth) malformed("template nested too deep");
    boost::json::object object;
    for (const auto& child : parent.children()) {
        if (child.type() != pugi::node_element) continue;
        auto value = template_value(child, depth + 1);
        const std::string_view name = child.name();
        if (auto* existing = object.if_contains(name)) {
            if (!existing->is_array()) {
                boost::json::array array;
                array.push_back(std::move(*existing));
                *existing = std::move(array);
            }
            existing->as_array().push_back(std::move(value));
        } else {
            object.emplace(name, std::move(value));
        }
    }
    return object;
}

boost::json::value template_value(const pugi::xml_node& node, int depth) {
    if (has_element_children(node)) return template_object(node, depth);
    return boost::json::string(text_of(node));
}

}  // namespace

Document parse_document_xml(std::string_view xml) {
    if (xml.size() > kMaxXmlBytes) malformed("too large");
    pugi::xml_document tree;
    const auto result =
        tree.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!result) malformed("not XML");
    const auto root = tree.child("DOCUMENT");
    if (!root) malformed("no DOCUMENT");

    Document document;
    document.id = integer_child(root, "ID");
    document.uid = integer_child(root, "UID");
    document.gid = integer_child(root, "GID");
    document.uname = string_child(root, "UNAME");
    document.gname = string_child(root, "GNAME");
    document.name = string_child(root, "NAME");
    const auto type = integer_child(root, "TYPE");
    if (type < INT32_MIN || type > INT32_MAX) malformed("TYPE out of range");
    document.type = static_cast<int>(type);
    if (const auto tmpl = root.child("TEMPLATE")) {
        document.template_values = template_object(tmpl, 1);
    }
    return document;
}

}  // namespace ecf::documents
