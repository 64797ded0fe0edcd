#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ecf::config {

// The service's configuration. The first block is the original's keys (contract §5) with the
// original's defaults, so a file written for the original starts this service unchanged. The
// rest are this service's own keys; each is documented here and in README.md.
struct Config {
    // --- The original's keys (contract §5) ---
    std::string host = "0.0.0.0";
    std::uint16_t port = 1339;
    // Unset in the file means: not named. When neither one_xmlrpc nor cognit_frontend is named,
    // the service runs standalone (embedded documents, users and root key; see README.md);
    // when only one is named, the other takes the original's default.
    std::optional<std::string> one_xmlrpc;          // default http://localhost:2633/RPC2
    std::string oneflow = "http://localhost:2474";  // read and kept; the ECF does not call it
    std::optional<std::string> cognit_frontend;     // default http://localhost:1338
    std::int64_t cluster_id = 0;
    // RabbitMQ: one address, or the nodes of one cluster (tried in turn; see src/broker/README.md).
    std::vector<std::string> broker{"http://localhost:5672"};
    unsigned workers = 0;  // HTTP I/O threads; 0 means one per core but one (at least one)
    std::string log_level = "info";

    // --- This service's own keys ---
    // Several instances on one vhost share the unrouted results through one queue and forward
    // each other's (false: each receives every result through the fanout, as earlier versions).
    bool shared_results = true;
    // "text" (the default) or "json": one JSON object per line, for log pipelines.
    std::string log_format = "text";
    // Root public key of the token issuer, hex (64 digits, or "ed25519/<hex>") or "@/path/file".
    // When set, the COGNIT frontend is not asked for it.
    std::optional<std::string> public_key;
    // Longest wait for a result, seconds. A requirement's MAX_FUNCTION_EXECUTION_TIME plus
    // queue_allowance tightens it.
    std::chrono::milliseconds execution_timeout{120'000};
    // Time allowed for an execution request to wait in its flavour queue, seconds.
    std::chrono::milliseconds queue_allowance{10'000};
    // Longest wait for one OpenNebula or COGNIT frontend call, seconds. A document read during an
    // execution is also bounded by what is left of the execution's deadline.
    std::chrono::milliseconds one_timeout{10'000};
    // Longest time RabbitMQ may leave what the ECF sent unread before the connection counts as
    // lost (its executions get 503 at once), seconds.
    std::chrono::milliseconds broker_write_timeout{10'000};
    // Lifetime of a cached OpenNebula document, seconds (0 disables the cache).
    std::chrono::milliseconds document_cache_ttl{5'000};
    std::size_t document_cache_entries = 10'000;
    // Least time between two reloads of the root key after a token failed to verify, seconds.
    std::chrono::milliseconds public_key_reload_interval{30'000};
    // Tokens whose signatures stay verified (0 verifies every request's token again).
    std::size_t token_cache_entries = 10'000;
    // File of revoked tokens' revocation ids (hex, one per line), read again when it changes.
    std::optional<std::string> revocation_file;
    // HTTP limits. max_body_bytes: the body of an execution (and of a standalone function upload);
    // max_small_body_bytes: the body of every other route.
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::size_t max_small_body_bytes = 64 * 1024;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    // Open connections at once; lowered at start to what the descriptor limit allows.
    std::size_t max_connections = 10'000;
    // Open connections from one remote address at once.
    std::size_t max_connections_per_address = 256;
    // Executions waiting for a result at once; beyond it new ones get 503.
    std::size_t max_waiting_executions = 10'000;
    // Executions one user may have waiting at once (0: no limit); beyond it new ones get 429.
    std::size_t max_waiting_executions_per_user = 1'000;
    // Asynchronous executions (README "Asynchronous executions"). async_mode: "sync" (the
    // default: mode=async is answered as sync, contract §1; `Prefer: respond-async` asks for a
    // 202) or "accepted" (every mode=async request is answered 202).
    std::string async_mode = "sync";
    // How long a finished asynchronous result is kept, seconds.
    std::chrono::milliseconds async_result_ttl{600'000};
    // Asynchronous executions kept at once (working or finished); beyond it new ones get 503.
    std::size_t async_max_results = 100'000;
    // Largest result kept; a larger one is stored as FAILED with the reason.
    std::size_t async_max_result_bytes = 1024 * 1024;
    // All kept results' bytes together.
    std::size_t async_store_bytes = 256 * 1024 * 1024;
    // Longest long poll (GET ?wait=, `Prefer: wait=`), seconds.
    std::chrono::milliseconds async_max_wait{30'000};
    // Long polls at once, in all and per user; beyond them 429.
    std::size_t async_max_waiters = 10'000;
    std::size_t async_max_waiters_per_user = 100;
    // Standalone mode's data folder (SQLite documents, users, root key pair).
    std::string data_dir = "/var/lib/cognit-ecf";
    // Standalone documents (requirements and functions) one user may own; beyond it, 403.
    std::size_t max_documents_per_user = 1000;
    // The flavours this cluster serves (a YAML list, or ECF_FLAVOURS="a,b"); empty: any.
    // Standalone mode refuses a requirement naming another one, and its executions.
    std::vector<std::string> flavours;
    // TLS to OpenNebula and the COGNIT frontend (https:// URLs): the CAs to trust (empty: the
    // system's store) and an optional client certificate with its key (both or neither).
    std::string backend_ca_file;
    std::string backend_cert_file;
    std::string backend_key_file;
    // TLS to the broker (amqps:// or ssl://): the CAs to trust and an optional client
    // certificate with its key (both or neither).
    std::string broker_ca_file = "/etc/ssl/certs/ca-certificates.crt";
    std::string broker_cert_file;
    std::string broker_key_file;

    std::string one_xmlrpc_or_default() const {
        return one_xmlrpc.value_or("http://localhost:2633/RPC2");
    }
    std::string cognit_frontend_or_default() const {
        return cognit_frontend.value_or("http://localhost:1338");
    }
    bool standalone() const { return !one_xmlrpc && !cognit_frontend; }
};

// Where the original reads its configuration.
inline constexpr const char* kDefaultConfigPath = "/etc/cognit-edge_cluster_frontend.conf";

}  // namespace ecf::config
