#include "observability/service_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <sstream>
#include <unordered_set>

namespace ecf::observability {

struct ServiceMetrics::Families {
    prometheus::Family<prometheus::Counter>& requests;
    prometheus::Family<prometheus::Histogram>& durations;
    prometheus::Family<prometheus::Gauge>& results_routing;
    prometheus::Family<prometheus::Counter>& executions_started;
    prometheus::Family<prometheus::Counter>& executions_finished;
    prometheus::Family<prometheus::Histogram>& execution_durations;
    prometheus::Family<prometheus::Histogram>& execution_queue_durations;
    prometheus::Family<prometheus::Gauge>& executions_waiting;
};

// The flavours that became labels so far (bounded).
struct ServiceMetrics::FlavourLabels {
    std::mutex mutex;
    std::unordered_set<std::string> seen;
};

namespace {

// Methods a client may send are unbounded text; only the known ones become label values.
std::string method_label(std::string_view method) {
    static constexpr std::array<std::string_view, 7> known = {"GET",   "POST", "PUT",    "DELETE",
                                                              "PATCH", "HEAD", "OPTIONS"};
    for (auto name : known) {
        if (name == method) return std::string(name);
    }
    return "OTHER";
}

const prometheus::Histogram::BucketBoundaries& duration_buckets() {
    static const prometheus::Histogram::BucketBoundaries buckets = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    return buckets;
}

}  // namespace

ServiceMetrics::ServiceMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
    families_ = std::make_unique<Families>(Families{
        prometheus::BuildCounter()
            .Name("ecf_http_requests_total")
            .Help("HTTP requests answered, by method and status")
            .Register(*registry_),
        prometheus::BuildHistogram()
            .Name("ecf_http_request_duration_seconds")
            .Help("Time from a request's header to its response, by method")
            .Register(*registry_),
        prometheus::BuildGauge()
            .Name("ecf_broker_results_routing")
            .Help("How results reach this instance: 1 for the mode in use (alternate_exchange: "
                  "set by a RabbitMQ policy, no broker operation per request; "
                  "per_request_bindings: one binding per request)")
            .Register(*registry_),
        prometheus::BuildCounter()
            .Name("ecf_executions_started_total")
            .Help("Executions handed to the broker, by flavour")
            .Register(*registry_),
        prometheus::BuildCounter()
            .Name("ecf_executions_finished_total")
            .Help("Executions answered, by flavour and outcome (ok, runtime_error, timeout, "
                  "no_runtime, broker_unavailable, rejected, accepted, client_left)")
            .Register(*registry_),
        prometheus::BuildHistogram()
            .Name("ecf_execution_duration_seconds")
            .Help("Time from an execution's arrival to its answer, by flavour")
            .Register(*registry_),
        prometheus::BuildHistogram()
            .Name("ecf_execution_queue_duration_seconds")
            .Help("Time from the hand-off to the broker to the answer (queue and runtime), by "
                  "flavour")
            .Register(*registry_),
        prometheus::BuildGauge()
            .Name("ecf_executions_waiting")
            .Help("Executions waiting for their result now, by flavour")
            .Register(*registry_),
    });
    flavour_labels_ = std::make_unique<FlavourLabels>();
}

ServiceMetrics::~ServiceMetrics() = default;

void ServiceMetrics::record(const AccessRecord& record) const {
    const auto method = method_label(record.method);
    families_->requests.Add({{"method", method}, {"status", std::to_string(record.status)}})
        .Increment();
    families_->durations.Add({{"method", method}}, duration_buckets())
        .Observe(static_cast<double>(record.duration.count()) / 1e6);
}

std::string ServiceMetrics::flavour_label(std::string_view flavour) const {
    if (flavour.empty()) return "none";
    const bool printable = flavour.size() <= kMaxFlavourLabelBytes &&
                           std::all_of(flavour.begin(), flavour.end(), [](unsigned char c) {
                               return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                           });
    if (!printable) return "other";
    std::lock_guard lock(flavour_labels_->mutex);
    auto& seen = flavour_labels_->seen;
    if (seen.contains(std::string(flavour))) return std::string(flavour);
    if (seen.size() >= kMaxFlavourLabels) return "other";
    return *seen.emplace(flavour).first;
}

void ServiceMetrics::queued(std::string_view flavour) const {
    const auto label = flavour_label(flavour);
    families_->executions_started.Add({{"flavour", label}}).Increment();
    families_->executions_waiting.Add({{"flavour", label}}).Increment();
}

void ServiceMetrics::finished(const ExecutionRecord& record) const {
    const auto label = flavour_label(record.flavour);
    if (record.queued) families_->executions_waiting.Add({{"flavour", label}}).Decrement();
    families_->executions_finished
        .Add({{"flavour", label}, {"outcome", std::string(name_of(record.ending))}})
        .Increment();
    families_->execution_durations.Add({{"flavour", label}}, duration_buckets())
        .Observe(static_cast<double>(record.duration.count()) / 1e6);
    if (record.queued) {
        families_->execution_queue_durations.Add({{"flavour", label}}, duration_buckets())
            .Observe(static_cast<double>(record.queue_duration.count()) / 1e6);
    }
}

void ServiceMetrics::set_results_routing(bool per_request_bindings) const {
    families_->results_routing.Add({{"mode", "alternate_exchange"}})
        .Set(per_request_bindings ? 0 : 1);
    families_->results_routing.Add({{"mode", "per_request_bindings"}})
        .Set(per_request_bindings ? 1 : 0);
}

void ServiceMetrics::add_reading(std::string name, std::string help, bool monotonic,
                                 std::function<double()> read) {
    readings_.push_back({std::move(name), std::move(help), monotonic, std::move(read)});
}

std::string ServiceMetrics::exposition() const {
    auto families = registry_->Collect();
    for (const auto& reading : readings_) {
        prometheus::MetricFamily family;
        family.name = reading.name;
        family.help = reading.help;
        family.type =
            reading.monotonic ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
        prometheus::ClientMetric metric;
        if (reading.monotonic)
            metric.counter.value = reading.read();
        else
            metric.gauge.value = reading.read();
        family.metric.push_back(std::move(metric));
        families.push_back(std::move(family));
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace ecf::observability
