#pragma once

#include <functional>

#include "http/router.hpp"

namespace ecf::http {

// What /readyz asks; each must be cheap (no I/O) and safe from any I/O thread.
struct ReadinessChecks {
    std::function<bool()> root_key_loaded;
    std::function<bool()> broker_connected;
    std::function<bool()> draining;
};

// GET /healthz: 200 {"status":"ok"} while the process serves. GET /readyz: 200 {"status":"ready"}
// when the root key is loaded, the broker connected and the service not draining; otherwise 503
// whose detail names what is missing. Both unauthenticated, for load balancers.
void add_health_routes(Router& router, ReadinessChecks checks);

}  // namespace ecf::http
