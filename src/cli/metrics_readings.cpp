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

namespace ecf::cli {

void add_async_readings(observability::ServiceMetrics& metrics,
                        std::shared_ptr<async_execution::AsyncResultStore> store) {
    using Stats = async_execution::AsyncStoreStats;
    using Limits = async_execution::AsyncStoreLimits;
    const auto stat = [store](std::size_t Stats::*field) {
        return [store, field] { return static_cast<double>(store->stats().*field); };
    };
    const auto count = [store](std::uint64_t Stats::*field) {
        return [store, field] { return static_cast<double>(store->stats().*field); };
    };
    const auto limit = [store](std::size_t Limits::*field) {
        return [store, field] { return static_cast<double>(store->limits().*field); };
    };
    metrics.add_reading("ecf_async_accepted_total",
                        "Asynchronous executions accepted (202 after RabbitMQ's confirm)", true,
                        count(&Stats::accepted));
    metrics.add_reading("ecf_async_refused_full_total",
                        "Asynchronous executions refused (503): the result store was full", true,
                        count(&Stats::refused_full));
    metrics.add_reading("ecf_async_results_ready_total", "Asynchronous results stored READY", true,
                        count(&Stats::ready));
    metrics.add_reading("ecf_async_results_failed_total",
                        "Asynchronous results stored FAILED (runtime error, timeout, too large)",
                        true, count(&Stats::failed));
    metrics.add_reading("ecf_async_evictions_total",
                        "Finished asynchronous results dropped early to make room (oldest first)",
                        true, count(&Stats::evictions));
    metrics.add_reading("ecf_async_expired_total",
                        "Asynchronous results dropped at the end of async_result_ttl", true,
                        count(&Stats::expired));
    metrics.add_reading("ecf_async_store_entries",
                        "Asynchronous executions kept (working or finished)", false,
                        stat(&Stats::entries));
    metrics.add_reading("ecf_async_store_bytes", "Bytes of the asynchronous results kept", false,
                        stat(&Stats::bytes));
    metrics.add_reading("ecf_async_long_poll_waiters", "Long polls waiting for a result", false,
                        stat(&Stats::waiters));
    metrics.add_reading("ecf_async_store_max_entries", "async_max_results", false,
                        limit(&Limits::max_results));
    metrics.add_reading("ecf_async_store_max_bytes", "async_store_bytes", false,
                        limit(&Limits::store_bytes));
    metrics.add_reading("ecf_async_max_result_bytes", "async_max_result_bytes", false,
                        limit(&Limits::max_result_bytes));
    metrics.add_reading("ecf_async_max_long_poll_waiters", "async_max_waiters", false,
                        limit(&Limits::max_waiters));
}

}  // namespace ecf::cli
