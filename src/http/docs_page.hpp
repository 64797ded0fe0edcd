#pragma once

#include <string_view>

namespace ecf::http {

// The HTML of GET /docs: no external resource; it reads /openapi.json and renders the routes,
// their parameters and a form to try each one.
std::string_view docs_page();

}  // namespace ecf::http
