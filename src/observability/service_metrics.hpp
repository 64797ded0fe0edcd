#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "observability/execution_observer.hpp"
#include "observability/request_observer.hpp"

namespace prometheus {
class Registry;
}

namespace ecf::observability {

// Prometheus metrics of the HTTP API (requests by method and status, and their durations) and
// of executions (started, finished by outcome, durations and waiting now, by flavour). Labels are
// bounded: the path (which holds document ids) is not one of them, and a flavour becomes a label
// only when it is a short name of [A-Za-z0-9._-] and fewer than kMaxFlavourLabels were seen
// (others count as "other"); never a user name, a token or an id.
class ServiceMetrics : public RequestObserver, public ExecutionObserver {
  public:
    ServiceMetrics();
    ~ServiceMetrics() override;

    static constexpr std::size_t kMaxFlavourLabels = 100;
    static constexpr std::size_t kMaxFlavourLabelBytes = 64;

    void record(const AccessRecord& record) const override;
    void queued(std::string_view flavour) const override;
    void finished(const ExecutionRecord& record) const override;

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
    struct FlavourLabels;
    std::string flavour_label(std::string_view flavour) const;
    std::unique_ptr<FlavourLabels> flavour_labels_;
    std::vector<Reading> readings_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::unique_ptr<Families> families_;
};

}  // namespace ecf::observability
