#include "cli/metrics_readings.hpp"

namespace ecf::cli {

void add_token_cache_readings(observability::ServiceMetrics& metrics,
                              std::shared_ptr<auth::BiscuitTokenAuthorizer> tokens) {
    metrics.add_reading("ecf_token_cache_hits_total",
                        "Tokens whose verified signatures were found in the cache", true,
                        [tokens] { return static_cast<double>(tokens->cache_counts().hits); });
    metrics.add_reading("ecf_token_cache_misses_total",
                        "Tokens whose signatures had to be verified", true,
                        [tokens] { return static_cast<double>(tokens->cache_counts().misses); });
    metrics.add_reading("ecf_token_cache_entries", "Verified tokens kept", false,
                        [tokens] { return static_cast<double>(tokens->cache_counts().entries); });
}

void add_broker_readings(observability::ServiceMetrics& metrics,
                         const broker::AmqpExecutionBroker& broker) {
    // The broker outlives the metrics' scrapes: both end with serve(), the server first.
    const auto* source = &broker;
    metrics.add_reading("ecf_broker_connected", "1 while the connection to RabbitMQ is up", false,
                        [source] { return source->connected() ? 1.0 : 0.0; });
    metrics.add_reading("ecf_broker_connections_total",
                        "Connections to RabbitMQ established (the first and every reconnection)",
                        true,
                        [source] { return static_cast<double>(source->counts().connections); });
    metrics.add_reading("ecf_broker_published_total",
                        "Execution requests RabbitMQ confirmed (publisher confirms)", true,
                        [source] { return static_cast<double>(source->counts().published); });
    metrics.add_reading("ecf_broker_refused_total",
                        "Execution requests RabbitMQ refused (nack) or returned (no queue)", true,
                        [source] { return static_cast<double>(source->counts().refused); });
    metrics.add_reading("ecf_broker_results_total", "Results handed to their waiting execution",
                        true, [source] { return static_cast<double>(source->counts().results); });
    metrics.add_reading(
        "ecf_broker_dropped_results_total",
        "Results dropped: late (after the deadline), duplicate or not this instance's", true,
        [source] { return static_cast<double>(source->counts().dropped_results); });
    metrics.add_reading(
        "ecf_broker_forwarded_results_total",
        "Other instances' results taken from the shared queue and forwarded to their queue", true,
        [source] { return static_cast<double>(source->counts().forwarded_results); });
    metrics.add_reading(
        "ecf_broker_lost_forwards_total",
        "Forwarded results returned by RabbitMQ: no instance has the queue of their tag", true,
        [source] { return static_cast<double>(source->counts().lost_forwards); });
    metrics.add_reading("ecf_broker_waiting_executions", "Executions waiting for their result",
                        false, [source] { return static_cast<double>(source->waiting()); });
}

void add_document_cache_readings(observability::ServiceMetrics& metrics,
                                 std::shared_ptr<documents::DocumentCache> cache) {
    metrics.add_reading("ecf_document_cache_hits_total", "Document reads answered by the cache",
                        true, [cache] { return static_cast<double>(cache->hits()); });
    metrics.add_reading("ecf_document_cache_misses_total",
                        "Document reads that went to OpenNebula (or joined such a read)", true,
                        [cache] { return static_cast<double>(cache->misses()); });
}

void add_root_key_readings(observability::ServiceMetrics& metrics,
                           std::shared_ptr<auth::RootKeySource> keys) {
    metrics.add_reading("ecf_root_key_loads_total",
                        "Root key fetches that succeeded (the first and every reload)", true,
                        [keys] { return static_cast<double>(keys->counts().loads); });
    metrics.add_reading("ecf_root_key_changes_total",
                        "Root key changes (the first load, then every rotation seen)", true,
                        [keys] { return static_cast<double>(keys->counts().changes); });
}

void add_server_readings(observability::ServiceMetrics& metrics, const http::Server& server) {
    const auto* source = &server;
    metrics.add_reading("ecf_http_connections_open", "HTTP connections open now", false,
                        [source] { return static_cast<double>(source->connections()); });
}

}  // namespace ecf::cli
