// `ecf-runtime`: a reference Serverless Runtime worker. It consumes one flavour queue as an SR
// does (contract §4) and runs each execution by forwarding it to a real SR's HTTP API
// (--forward) or by running a command (--exec), e.g. scripts/executors/python_executor.py.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "broker/broker_address.hpp"
#include "core/error.hpp"
#include "runtime/exec_sandbox.hpp"
#include "runtime/forward_executor.hpp"
#include "runtime/process_executor.hpp"
#include "runtime/runtime_worker.hpp"

namespace {

// SIGTERM and SIGINT are blocked in every thread and taken by this one with sigtimedwait, so a
// stop is a plain atomic flag and no handler runs in the middle of rabbitmq-c or spdlog.
class StopSignals {
  public:
    StopSignals() {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGTERM);
        sigaddset(&signals_, SIGINT);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
        watcher_ = std::thread([this] {
            const timespec tick{0, 200'000'000};
            while (!done_) {
                const int signal_number = sigtimedwait(&signals_, nullptr, &tick);
                if (signal_number == SIGTERM || signal_number == SIGINT) {
                    spdlog::info("signal {} received: stopping", signal_number);
                    stop_requested_ = true;
                }
            }
        });
    }
    ~StopSignals() {
        done_ = true;
        watcher_.join();
    }
    const std::atomic<bool>& stop_requested() const { return stop_requested_; }

  private:
    sigset_t signals_{};
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> done_{false};
    std::thread watcher_;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ecf-runtime: a Serverless Runtime worker for one flavour queue"};
    std::string broker_url;
    std::string broker_file;
    std::string flavour;
    int prefetch = 1;
    std::string forward_url;
    std::string exec_command;
    double exec_timeout = 60;
    std::size_t max_output_bytes = 64 * 1024 * 1024;
    std::string log_level = "info";
    int heartbeat_seconds = 30;
    std::string exec_user;
    std::vector<std::string> passed_environment;
    std::size_t exec_memory_mb = 1024;
    std::size_t exec_max_processes = 64;
    std::size_t exec_max_file_mb = 64;
    // The broker URL holds a password: from a private file or the environment, since every user
    // can read a process's command line.
    auto* broker_option = app.add_option("--broker", broker_url,
                                         "RabbitMQ: amqp://user:pass@host:port/vhost, amqps://..., "
                                         "http://host:port, or a cluster's nodes separated by "
                                         "commas (visible to every user: prefer --broker-file or "
                                         "ECF_RUNTIME_BROKER)")
                              ->envname("ECF_RUNTIME_BROKER");
    auto* broker_file_option = app.add_option(
        "--broker-file", broker_file, "a file (mode 0600) whose first line is the broker URL");
    broker_option->excludes(broker_file_option);
    ecf::runtime::RuntimeWorkerOptions options;
    app.add_option("--broker-ca-file", options.broker_ca_file, "amqps: the CAs to trust (PEM)")
        ->envname("ECF_RUNTIME_BROKER_CA_FILE")
        ->capture_default_str();
    auto* broker_cert_option = app.add_option("--broker-cert-file", options.broker_cert_file,
                                              "amqps: a client certificate (PEM)")
                                   ->envname("ECF_RUNTIME_BROKER_CERT_FILE");
    auto* broker_key_option = app.add_option("--broker-key-file", options.broker_key_file,
                                             "amqps: the client certificate's key (PEM)")
                                  ->envname("ECF_RUNTIME_BROKER_KEY_FILE");
    broker_cert_option->needs(broker_key_option);
    broker_key_option->needs(broker_cert_option);
    app.add_option("--flavour", flavour, "the flavour queue to consume")->required();
    app.add_option("--prefetch", prefetch, "unacknowledged deliveries at once")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    auto* forward = app.add_option("--forward", forward_url,
                                   "run by POSTing to URL/v1/faas/execute-sync (a real SR's API)");
    auto* exec = app.add_option("--exec", exec_command,
                                "run COMMAND (by /bin/sh -c) per execution: payload JSON on "
                                "stdin, ExecResponse JSON on stdout")
                     ->envname("ECF_RUNTIME_EXEC");
    forward->excludes(exec);
    app.add_option("--exec-user", exec_user,
                   "run each command as this user (default when root: nobody)");
    app.add_option("--pass-env", passed_environment,
                   "pass this variable of the worker's environment to the command (repeatable; "
                   "by default it sees only PATH and LANG)");
    app.add_option("--exec-memory-mb", exec_memory_mb, "address space of a command (0: no limit)")
        ->capture_default_str();
    app.add_option("--exec-max-processes", exec_max_processes,
                   "processes of the command's user at once (0: no limit)")
        ->capture_default_str();
    app.add_option("--exec-max-file-mb", exec_max_file_mb,
                   "largest file a command may write (0: no limit)")
        ->capture_default_str();
    app.add_option("--exec-timeout", exec_timeout, "seconds one execution may take")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    app.add_option("--max-output-bytes", max_output_bytes,
                   "largest answer read from the command or the SR API")
        ->capture_default_str();
    app.add_option("--heartbeat", heartbeat_seconds, "AMQP heartbeat in seconds (0: none)")
        ->check(CLI::Range(0, 3600))
        ->capture_default_str();
    app.add_option("--log-level", log_level, "how much to log")
        ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error", "critical", "off"}))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
        if (forward_url.empty() && exec_command.empty()) {
            throw CLI::RequiredError("--forward or --exec");
        }
        if (broker_url.empty() && broker_file.empty()) {
            throw CLI::RequiredError("--broker, --broker-file or ECF_RUNTIME_BROKER");
        }
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? 0 : 2;
    }

    spdlog::set_level(spdlog::level::from_str(log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ ecf-runtime: %v");

    try {
        if (!broker_file.empty()) broker_url = ecf::runtime::read_broker_file(broker_file);
        auto addresses = ecf::broker::parse_broker_addresses(broker_url);
        options.broker = addresses.front();
        options.other_brokers.assign(addresses.begin() + 1, addresses.end());
    } catch (const ecf::Error& e) {
        spdlog::critical("{}", e.what());
        return 2;
    } catch (const std::invalid_argument& e) {
        spdlog::critical("--broker: {}", e.what());
        return 2;
    }
    options.flavour = flavour;
    options.prefetch = static_cast<std::uint16_t>(prefetch);
    options.heartbeat_seconds = heartbeat_seconds;

    const auto time_limit = std::chrono::milliseconds(static_cast<long long>(exec_timeout * 1000));
    std::unique_ptr<ecf::runtime::Executor> executor;
    try {
        if (!forward_url.empty()) {
            executor = std::make_unique<ecf::runtime::ForwardExecutor>(forward_url, time_limit,
                                                                       max_output_bytes);
        } else {
            constexpr std::size_t kMiB = 1024 * 1024;
            ecf::runtime::ProcessLimits limits{.time_limit = time_limit,
                                               .max_output_bytes = max_output_bytes};
            limits.max_memory_bytes = exec_memory_mb * kMiB;
            limits.max_processes = exec_max_processes;
            limits.max_file_bytes = exec_max_file_mb * kMiB;
            limits.environment = ecf::runtime::clean_environment(passed_environment);
            // A worker that runs as root never runs a function as root.
            if (exec_user.empty() && ::geteuid() == 0) exec_user = "nobody";
            if (!exec_user.empty()) limits.user = ecf::runtime::lookup_user(exec_user);
            executor = std::make_unique<ecf::runtime::ProcessExecutor>(exec_command, limits);
        }
    } catch (const ecf::Error& e) {
        spdlog::critical("{}", e.what());
        return 2;
    }

    StopSignals signals;
    ecf::runtime::RuntimeWorker worker(options, *executor, signals.stop_requested());
    worker.run();
    return 0;
}
