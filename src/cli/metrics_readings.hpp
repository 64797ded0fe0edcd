#pragma once

#include <memory>

#include "async_execution/async_result_store.hpp"
#include "auth/biscuit_token_authorizer.hpp"
#include "auth/root_key_source.hpp"
#include "broker/amqp_execution_broker.hpp"
#include "documents/document_cache.hpp"
#include "http/server.hpp"
#include "observability/service_metrics.hpp"

namespace ecf::cli {

// Values the service's parts keep themselves, read into /metrics at each scrape. Each must be
// added before the server starts serving; each reading holds what it reads alive.

// The verified-token cache's hits, misses and size.
void add_token_cache_readings(observability::ServiceMetrics& metrics,
                              std::shared_ptr<auth::BiscuitTokenAuthorizer> tokens);

// The broker connection's state and counts (connections, confirms, refusals, results).
void add_broker_readings(observability::ServiceMetrics& metrics,
                         const broker::AmqpExecutionBroker& broker);

// The asynchronous results' store: accepted, stored by state, entries and bytes with their
// limits, evictions, long polls.
void add_async_readings(observability::ServiceMetrics& metrics,
                        std::shared_ptr<async_execution::AsyncResultStore> store);

// The document cache's hits and misses.
void add_document_cache_readings(observability::ServiceMetrics& metrics,
                                 std::shared_ptr<documents::DocumentCache> cache);

// The root key's loads and changes (rotations).
void add_root_key_readings(observability::ServiceMetrics& metrics,
                           std::shared_ptr<auth::RootKeySource> keys);

// HTTP connections open now.
void add_server_readings(observability::ServiceMetrics& metrics, const http::Server& server);

}  // namespace ecf::cli
