#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "observability/request_observer.hpp"

namespace prometheus {
class Registry;
}

namespace ecf::observability {

// Prometheus metrics of the HTTP API: requests by method and status, and their durations.
// Labels are bounded: the path (which holds document ids) is not one of them.
class ServiceMetrics : public RequestObserver {
  public:
    ServiceMetrics();
    ~ServiceMetrics() override;

    void record(const AccessRecord& record) const override;

    // How results reach this instance (ecf_broker_results_routing{mode=...}, 1 for the mode in
    // use): through the alternate exchange a policy gives `results`, or a binding per request.
    void set_results_routing(bool per_request_bindings) const;

    // A value kept elsewhere (the token cache's counters), read at each scrape: a counter when
    // `monotonic`, otherwise a gauge. Add readings before the service starts serving.
    void add_reading(std::string name, std::string help, bool monotonic,
                     std::function<double()> read);

    // The text exposition format (version 0.0.4) of every metric.
    std::string exposition() const;

  private:
    struct Reading {
        std::string name;
        std::string help;
        bool monotonic;
        std::function<double()> read;
    };
    struct Families;
    std::vector<Reading> readings_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::unique_ptr<Families> families_;
};

}  // namespace ecf::observability
