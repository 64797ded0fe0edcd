#pragma once

#include <memory>

#include "http/router.hpp"
#include "observability/service_metrics.hpp"

namespace ecf::http {

// GET /metrics: the Prometheus text exposition of `metrics`.
void add_metrics_route(Router& router,
                       std::shared_ptr<const observability::ServiceMetrics> metrics);

}  // namespace ecf::http
