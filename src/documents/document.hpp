#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>

namespace ecf::documents {

// OpenNebula document types used by COGNIT (contract §3).
enum class DocumentType : int {
    AppRequirement = 1338,
    Function = 1339,
};

// One OpenNebula document, as `one.document.info` describes it.
struct Document {
    std::int64_t id = 0;
    std::int64_t uid = 0;
    std::int64_t gid = 0;
    std::string uname;
    std::string gname;
    std::string name;
    int type = 0;
    // The TEMPLATE's children, keyed by their element names as written (upper case). A leaf is a
    // JSON string; a nested vector (such as GEOLOCATION) is a JSON object of the same shape.
    boost::json::object template_values;
};

}  // namespace ecf::documents
