#pragma once

#include <string>

#include "http/router.hpp"

namespace ecf::http {

struct ApiInfo {
    std::string title = "Edge Cluster Frontend";
    std::string version;
};

// GET / (redirect to /docs), GET /docs (a self-contained page rendering the OpenAPI document)
// and GET /openapi.json (every route of `router`, including those added after this call).
// The router must outlive the routes.
void add_docs_routes(Router& router, ApiInfo info);

}  // namespace ecf::http
