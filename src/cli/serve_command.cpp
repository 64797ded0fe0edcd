// `ecf serve [--config FILE]`: the composition root. It reads the configuration, builds every
// part of the service from it, and runs the HTTP server until SIGINT or SIGTERM.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <csignal>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "async_execution/async_result_store.hpp"
#include "async_execution/broker_result_peers.hpp"
#include "auth/biscuit_token_authorizer.hpp"
#include "auth/cognit_frontend_root_key_source.hpp"
#include "auth/fixed_root_key_source.hpp"
#include "broker/amqp_execution_broker.hpp"
#include "broker/broker_address.hpp"
#include "broker/request_id_tag.hpp"
#include "cli/commands.hpp"
#include "cli/config_reloader.hpp"
#include "cli/memory_trimmer.hpp"
#include "cli/metrics_readings.hpp"
#include "config/config_loader.hpp"
#include "core/error.hpp"
#include "core/flavour_allow_list.hpp"
#include "documents/document_cache.hpp"
#include "documents/opennebula_document_source.hpp"
#include "execution/execution_service.hpp"
#include "execution/uuid4.hpp"
#include "http/api_routes.hpp"
#include "http/descriptor_limit.hpp"
#include "http/docs_routes.hpp"
#include "http/health_routes.hpp"
#include "http/metrics_route.hpp"
#include "http/server.hpp"
#include "http_client/tls_files.hpp"
#include "observability/access_log.hpp"
#include "observability/logging.hpp"
#include "observability/request_counter.hpp"
#include "observability/service_manager.hpp"
#include "observability/service_metrics.hpp"
#include "standalone/standalone_services.hpp"

namespace ecf::cli {
namespace {

namespace asio = boost::asio;

constexpr const char* kVersion = "0.1.0";

// Exit statuses: 2 for a configuration the service refuses, 1 for anything else that stops it.
constexpr int kBadConfiguration = 2;
constexpr int kCannotStart = 1;

// Runs `work` to completion on `io` before the server starts; used for start-up steps that are
// coroutines (loading the root key). Bounded, and independent of any other work left on `io`.
template <typename Awaitable>
void run_before_start(asio::io_context& io, Awaitable work, std::chrono::milliseconds limit) {
    auto done = asio::co_spawn(io, std::move(work), asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() >= deadline) {
            throw Error(ErrorKind::Timeout, "start-up step did not finish in time");
        }
        io.run_one_for(std::chrono::milliseconds(100));
    }
    io.restart();
    done.get();
}

// The parts that differ between a COGNIT deployment and standalone mode.
struct Backends {
    std::shared_ptr<documents::DocumentSource> documents;
    std::shared_ptr<auth::BiscuitTokenAuthorizer> tokens;
    std::optional<standalone::StandaloneServices> standalone;
    // The OpenNebula documents' cache (none in standalone mode), for /metrics.
    std::shared_ptr<documents::DocumentCache> document_cache;
    std::string description;
    // The issuer's root key, fetched again on SIGHUP (none in standalone mode: the ECF is the
    // issuer).
    std::shared_ptr<auth::RootKeySource> keys;
    // For /readyz: whether a root key is in force.
    std::function<bool()> root_key_loaded = [] { return true; };
};

Backends make_cognit_backends(const config::Config& config, asio::io_context& io) {
    Backends backends;
    const http_client::TlsFiles tls{.ca_file = config.backend_ca_file,
                                    .certificate_file = config.backend_cert_file,
                                    .key_file = config.backend_key_file};
    auto opennebula = std::make_shared<documents::OpenNebulaDocumentSource>(
        io.get_executor(), config.one_xmlrpc_or_default(), config.one_timeout, tls);
    backends.document_cache = std::make_shared<documents::DocumentCache>(
        opennebula, config.document_cache_ttl, config.document_cache_entries);
    backends.documents = backends.document_cache;

    std::shared_ptr<auth::RootKeySource> keys;
    if (config.public_key) {
        keys = std::make_shared<auth::FixedRootKeySource>(*config.public_key,
                                                          config.public_key_reload_interval);
    } else {
        keys = std::make_shared<auth::CognitFrontendRootKeySource>(
            io.get_executor(), config.cognit_frontend_or_default(),
            config.public_key_reload_interval, config.one_timeout, tls);
    }
    // The original refuses to start without the issuer's key; so do we.
    run_before_start(io, keys->load(), config.one_timeout + std::chrono::seconds(5));
    backends.tokens = std::make_shared<auth::BiscuitTokenAuthorizer>(
        keys, auth::BiscuitTokenAuthorizerOptions{
                  .cache_entries = config.token_cache_entries,
                  .revocations = auth::revocation_list_of(config.revocation_file)});
    backends.keys = keys;
    backends.root_key_loaded = [keys] {
        try {
            keys->current();
            return true;
        } catch (const std::exception&) {
            return false;
        }
    };
    backends.description = "opennebula " + config.one_xmlrpc_or_default();
    return backends;
}

Backends make_standalone_backends(const config::Config& config, asio::io_context& io,
                                  std::shared_ptr<spdlog::logger> logger) {
    Backends backends;
    backends.standalone =
        standalone::make_standalone_services(config, io.get_executor(), std::move(logger));
    backends.documents = backends.standalone->documents;
    backends.tokens = backends.standalone->tokens;
    backends.description = "standalone " + config.data_dir;
    return backends;
}

http::ServerOptions server_options(const config::Config& config, std::size_t descriptors,
                                   unsigned io_threads) {
    http::ServerOptions options;
    options.io_threads = io_threads;
    options.host = config.host;
    options.port = config.port;
    options.max_body_bytes = config.max_body_bytes;
    options.max_small_body_bytes = config.max_small_body_bytes;
    options.header_timeout = config.header_timeout;
    options.idle_timeout = config.idle_timeout;
    options.max_connections = http::connection_limit(config.max_connections, descriptors);
    options.max_connections_per_address = config.max_connections_per_address;
    // An execution in flight may wait for its result up to execution_timeout.
    options.drain_timeout = config.execution_timeout + std::chrono::seconds(1);
    return options;
}

async_execution::AsyncStoreLimits async_limits(const config::Config& config) {
    return {.result_ttl = config.async_result_ttl,
            .max_results = config.async_max_results,
            .max_result_bytes = config.async_max_result_bytes,
            .store_bytes = config.async_store_bytes,
            .max_waiters = config.async_max_waiters,
            .max_waiters_per_user = config.async_max_waiters_per_user};
}

std::string url_host(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

int serve(const std::string& config_path, bool path_given) {
    config::LoadedConfig loaded;
    try {
        loaded = config::load_config_file(config_path, path_given, config::process_environment());
    } catch (const config::ConfigError& e) {
        std::cerr << "ecf: " << e.what() << std::endl;
        return kBadConfiguration;
    }
    const config::Config& config = loaded.config;
    const auto log_format = config.log_format == "json" ? observability::LogFormat::Json
                                                        : observability::LogFormat::Text;
    auto logger = observability::make_service_logger(config.log_level, log_format);
    auto access_logger = observability::make_access_logger(*logger, log_format);
    for (const auto& warning : loaded.warnings) logger->warn("{}", warning);
    const std::size_t descriptors = http::raise_descriptor_limit();
    if (http::connection_limit(config.max_connections, descriptors) < config.max_connections) {
        logger->warn("max_connections lowered to {}: {} file descriptors allowed",
                     http::connection_limit(config.max_connections, descriptors), descriptors);
    }

    // workers 0: a core for each I/O thread but one, which the broker thread uses (measured on
    // 2 cores, bench/RESULTS.md: one I/O thread beside the broker thread gives 0.17 ms less at
    // c=1 and 20 us less CPU per execution at c=64 than two).
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned threads = config.workers != 0 ? config.workers : std::max(1u, cores - 1);
    // First, so that it is destroyed last: everything below may hold I/O objects of it (idle
    // HTTP client connections held by the metrics' readings through the token authorizer, say),
    // and an I/O object must not outlive its io_context.
    asio::io_context io(static_cast<int>(threads));

    broker::BrokerSettings broker_settings;
    try {
        for (const auto& url : config.broker) {
            broker_settings.addresses.push_back(broker::BrokerAddress::parse(url));
        }
        broker_settings.address = broker_settings.addresses.front();
        if (broker_settings.addresses.size() == 1) broker_settings.addresses.clear();
    } catch (const std::invalid_argument& e) {
        std::cerr << "ecf: configuration key 'broker': " << e.what() << std::endl;
        return kBadConfiguration;
    }
    broker_settings.max_waiting_executions = config.max_waiting_executions;
    broker_settings.share_results = config.shared_results;
    broker_settings.queue_allowance = config.queue_allowance;
    if (config.broker_cert_file.empty() != config.broker_key_file.empty()) {
        // Else every connection attempt would fail the same way, in the background.
        std::cerr << "ecf: configuration keys 'broker_cert_file' and 'broker_key_file' go "
                     "together"
                  << std::endl;
        return kBadConfiguration;
    }
    broker_settings.connection.tls_ca_file = config.broker_ca_file;
    broker_settings.connection.write_timeout = config.broker_write_timeout;
    broker_settings.connection.tls_cert_file = config.broker_cert_file;
    broker_settings.connection.tls_key_file = config.broker_key_file;

    Backends backends;
    try {
        backends = config.standalone() ? make_standalone_backends(config, io, logger)
                                       : make_cognit_backends(config, io);
    } catch (const std::exception& e) {
        std::cerr << "ecf: cannot start: " << e.what() << std::endl;
        return kCannotStart;
    }

    const std::string broker_addresses_text = broker_settings.addresses.empty()
                                                  ? broker_settings.address.redacted()
                                                  : broker::redacted(broker_settings.addresses);
    auto metrics = std::make_shared<observability::ServiceMetrics>();
    broker_settings.on_results_routing = [metrics](broker::ResultsRouting routing) {
        metrics->set_results_routing(routing == broker::ResultsRouting::PerRequestBindings);
    };
    broker::AmqpExecutionBroker broker(broker_settings);
    // Asynchronous executions keep their results here; created before the broker's sinks can
    // reach it, destroyed after the broker thread (shared by them). The other instances on the
    // same RabbitMQ ask this one for the results it keeps, and it asks them for theirs.
    auto async_store = std::make_shared<async_execution::AsyncResultStore>(async_limits(config));
    const auto result_peers =
        async_execution::BrokerResultPeers::create(broker, async_store, io.get_executor());
    if (!broker.start()) {
        logger->warn("broker {} unreachable; executions answer 503 until it is reached",
                     broker_addresses_text);
    }

    // Request ids carry this instance's tag, so that another instance that takes the result
    // from the shared queue knows where to forward it (src/broker/README.md). The broker
    // outlives the service (declared before it).
    auto request_ids = [&broker] {
        return broker::tag_request_id(execution::make_uuid4(), broker.instance_tag());
    };
    execution::ExecutionService executions(
        *backends.tokens, *backends.documents, broker,
        {config.execution_timeout, config.queue_allowance, config.max_waiting_executions_per_user},
        request_ids, metrics);
    executions.set_async_store(async_store);
    executions.set_flavours(FlavourAllowList(config.flavours));
    auto async_settings = std::make_shared<http::AsyncApiSettings>();
    async_settings->mode_async_accepted = config.async_mode == "accepted";
    async_settings->max_wait = config.async_max_wait;
    http::Router router;
    http::add_api_routes(router, executions, *backends.tokens, async_store, async_settings,
                         result_peers);
    if (backends.standalone) backends.standalone->add_routes(router);
    http::add_docs_routes(router, {"Edge Cluster Frontend", kVersion});
    // Set on the first SIGINT/SIGTERM, before the drain: load balancers see /readyz fail at once.
    auto draining = std::make_shared<std::atomic<bool>>(false);
    http::add_health_routes(router,
                            {backends.root_key_loaded, [&broker] { return broker.connected(); },
                             [draining] { return draining->load(); }});
    add_token_cache_readings(*metrics, backends.tokens);
    http::add_metrics_route(router, metrics);

    auto requests_answered = std::make_shared<observability::RequestCounter>();
    http::Server server(io, server_options(config, descriptors, threads), router,
                        {std::make_shared<observability::AccessLog>(access_logger, log_format),
                         metrics, requests_answered},
                        logger);
    add_broker_readings(*metrics, broker);
    add_async_readings(*metrics, async_store);
    add_server_readings(*metrics, server);
    if (backends.document_cache) add_document_cache_readings(*metrics, backends.document_cache);
    if (backends.keys) add_root_key_readings(*metrics, backends.keys);
    try {
        server.start();
    } catch (const std::exception& e) {
        std::cerr << "ecf: cannot listen on " << config.host << ":" << config.port << ": "
                  << e.what() << std::endl;
        broker.stop();
        return kCannotStart;
    }

    // After a burst, memory goes back to the system (checked every 5 s).
    MemoryTrimmer memory_trimmer(
        io, std::chrono::seconds(5), [requests_answered] { return requests_answered->count(); },
        logger);
    memory_trimmer.start();

    // First signal: drain and stop. A second one: stop at once.
    const observability::ServiceManager service_manager;
    asio::signal_set reload_signal(io, SIGHUP);
    asio::steady_timer readiness(io);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        logger->info("stopping: draining requests in flight");
        service_manager.stopping();
        draining->store(true);
        readiness.cancel();
        reload_signal.cancel();
        memory_trimmer.stop();
        async_store->wake_all();  // long polls answer now, not at their wait's end
        server.shutdown([&io] { io.stop(); });
        signals.async_wait([&io](const boost::system::error_code& again, int) {
            if (!again) io.stop();
        });
    });

    const auto endpoint = server.local_endpoint();
    std::cout << "ecf " << kVersion << " listening on http://"
              << url_host(endpoint.address().to_string()) << ":" << endpoint.port() << " ("
              << backends.description << ", broker " << broker_addresses_text << ")" << std::endl;

    // SIGHUP: read the configuration again and apply what can change while serving; the root
    // key is fetched (or its file read) again too.
    // Both cache keys set the cache's lifetime and bound together.
    const auto apply_document_cache = [&backends](const config::Config& next) {
        if (backends.document_cache) {
            backends.document_cache->set_limits(next.document_cache_ttl,
                                                next.document_cache_entries);
        }
    };
    const auto apply_async_limits = [&async_store](const config::Config& next) {
        async_store->set_limits(async_limits(next));
    };
    std::vector<ReloadableKey> reloadable{
        {"log_level",
         [&logger, &access_logger](const config::Config& next) {
             observability::set_log_level(*logger, next.log_level);
             observability::set_log_level(*access_logger, next.log_level);
         }},
        {"execution_timeout",
         [&executions](const config::Config& next) {
             executions.set_limits({next.execution_timeout, executions.limits().queue_allowance});
         }},
        {"queue_allowance",
         [&executions](const config::Config& next) {
             executions.set_limits({executions.limits().execution_timeout, next.queue_allowance});
         }},
        {"max_waiting_executions",
         [&broker](const config::Config& next) {
             broker.set_max_waiting_executions(next.max_waiting_executions);
         }},
        {"max_waiting_executions_per_user",
         [&executions](const config::Config& next) {
             executions.set_max_waiting_per_user(next.max_waiting_executions_per_user);
         }},
        {"async_mode",
         [&async_settings](const config::Config& next) {
             async_settings->mode_async_accepted = next.async_mode == "accepted";
         }},
        {"async_max_wait",
         [&async_settings](const config::Config& next) {
             async_settings->max_wait = next.async_max_wait;
         }},
        {"async_result_ttl", apply_async_limits},
        {"async_max_results", apply_async_limits},
        {"async_max_result_bytes", apply_async_limits},
        {"async_store_bytes", apply_async_limits},
        {"async_max_waiters", apply_async_limits},
        {"async_max_waiters_per_user", apply_async_limits},
        {"document_cache_ttl", apply_document_cache},
        {"document_cache_entries", apply_document_cache}};
    // Standalone mode's document routes keep the list they started with (until a restart), so
    // there the key is reloaded by neither.
    if (!backends.standalone) {
        reloadable.push_back({"flavours", [&executions](const config::Config& next) {
                                  executions.set_flavours(FlavourAllowList(next.flavours));
                              }});
    }
    ConfigReloader reloader(config_path, path_given, loaded, std::move(reloadable), logger);
    std::function<void(const boost::system::error_code&, int)> on_reload =
        [&](const boost::system::error_code& ec, int) {
            if (ec) return;
            service_manager.reloading();
            reloader.reload(config::process_environment());
            if (backends.keys) {
                asio::co_spawn(io, backends.keys->reload(), asio::detached);
            }
            service_manager.ready("serving");
            reload_signal.async_wait(on_reload);
        };
    reload_signal.async_wait(on_reload);

    // Ready for the service manager once the broker is connected too (the listener is): checked
    // on a short timer rather than a callback from the broker thread.
    std::function<void(const boost::system::error_code&)> check_ready =
        [&](const boost::system::error_code& ec) {
            if (ec || draining->load()) return;
            if (broker.connected()) {
                service_manager.ready("serving");
                return;
            }
            readiness.expires_after(std::chrono::milliseconds(100));
            readiness.async_wait(check_ready);
        };
    check_ready({});

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& thread : pool) thread.join();
    broker.stop();
    logger->info("stopped");
    logger->flush();
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_status) {
    auto* command = app.add_subcommand("serve", "Run the Edge Cluster Frontend (the default)");
    auto config_path = std::make_shared<std::string>(config::kDefaultConfigPath);
    auto* option = command
                       ->add_option("-c,--config", *config_path,
                                    "YAML configuration file; a missing default file means "
                                    "defaults")
                       ->capture_default_str();
    command->callback([config_path, option, &exit_status] {
        // A file named on the command line must exist; the original's default path need not.
        exit_status = serve(*config_path, option->count() > 0);
    });
}

}  // namespace ecf::cli
