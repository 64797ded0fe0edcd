#pragma once

#include "auth/token_authorizer.hpp"
#include "execution/execution_service.hpp"
#include "http/router.hpp"

namespace ecf::http {

// The device-facing routes of contract §1: POST /v1/functions/{id}/execute and
// POST /v1/device_metrics. The references must outlive the router.
void add_api_routes(Router& router, execution::ExecutionService& executions,
                    auth::TokenAuthorizer& authorizer);

}  // namespace ecf::http
