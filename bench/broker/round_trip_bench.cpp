// Round trips per second through a real RabbitMQ: AmqpExecutionBroker publishes, an in-process
// echo runtime answers on the results exchange, the result is routed back to its waiter.
// Two ways of routing results are compared:
//   AlternateExchange: `results`, to which the harness's policy gives our alternate exchange;
//                      no broker operation per request;
//   PerRequestBinding: an exchange of its own name that no policy matches; a binding per request
//                      (bind no-wait before the publication, pipelined unbind after the result).
// The node: ECF_BENCH_RABBITMQ_PORT (with the policy of tests/harness/rabbitmq.py set), or a
// private one started through tests/harness/rabbitmq.py (which sets it).
//
//   build-x/bench/broker/broker_round_trip_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one line)

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "broker/amqp_execution_broker.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ecf::broker::AmqpConnection;
using ecf::broker::AmqpDelivery;
using ecf::broker::AmqpExecutionBroker;
using ecf::broker::BrokerAddress;
using ecf::broker::BrokerSettings;
using ecf::broker::ExecutionRequest;

namespace {

// Starts a private node unless ECF_BENCH_RABBITMQ_PORT names one; stops it at exit.
class Node {
  public:
    Node() {
        if (const char* port = std::getenv("ECF_BENCH_RABBITMQ_PORT")) {
            port_ = static_cast<std::uint16_t>(std::atoi(port));
            return;
        }
        dir_ = "/tmp/ecf-broker-bench-" + std::to_string(::getpid());
        const std::string port_file = dir_ + ".port";
        if (std::system(("/usr/bin/python3 " ECF_RABBITMQ_HARNESS " start --dir " + dir_ +
                         " --port-file " + port_file + " >/dev/null")
                            .c_str()) != 0) {
            throw std::runtime_error("cannot start RabbitMQ");
        }
        int port = 0;
        std::ifstream(port_file) >> port;
        std::remove(port_file.c_str());
        port_ = static_cast<std::uint16_t>(port);
    }
    ~Node() {
        if (!dir_.empty()) {
            [[maybe_unused]] int rc =
                std::system(("/usr/bin/python3 " ECF_RABBITMQ_HARNESS " stop --remove --dir " +
                             dir_ + " >/dev/null")
                                .c_str());
        }
    }
    BrokerAddress address() const {
        return BrokerAddress::parse("amqp://guest:guest@127.0.0.1:" + std::to_string(port_));
    }

  private:
    std::string dir_;
    std::uint16_t port_ = 0;
};

Node& node() {
    static Node instance;
    return instance;
}

// Answers every request of one flavour at once (prefetch large, no acks): the broker, not the
// runtime, is what is measured.
class EchoRuntime {
  public:
    EchoRuntime(const BrokerAddress& address, const std::string& flavour,
                const std::string& results_exchange)
        : results_exchange_(results_exchange) {
        connection_ = std::make_unique<AmqpConnection>(address);
        connection_->open_channel(1);
        connection_->declare_queue(1, flavour);
        connection_->consume(1, flavour, /*no_ack=*/true);
        thread_ = std::thread([this] {
            try {
                while (!stop_) {
                    auto event = connection_->next_event(50ms);
                    auto* d = event ? std::get_if<AmqpDelivery>(&*event) : nullptr;
                    if (!d) continue;
                    auto request = boost::json::parse(d->message.body).as_object();
                    connection_->publish(
                        1, results_exchange_, std::string(request.at("request_id").as_string()),
                        R"({"code":200,"message":{"ret_code":0,"res":"gAVLGC4=","err":null}})");
                }
            } catch (const std::exception&) {
            }
        });
    }
    ~EchoRuntime() {
        stop_ = true;
        thread_.join();
    }

  private:
    std::string results_exchange_;
    std::unique_ptr<AmqpConnection> connection_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

void round_trips(benchmark::State& state, bool per_request_binding) {
    const auto address = node().address();
    const std::string suffix = std::to_string(::getpid()) + (per_request_binding ? "-b" : "-ae");
    const std::string results = per_request_binding ? "bench-results-" + suffix : "results";
    const std::string flavour = "bench-flavour-" + suffix;
    {
        AmqpConnection setup(address);
        setup.open_channel(1);
        if (per_request_binding) setup.declare_exchange(1, results, "direct");
    }
    BrokerSettings settings;
    settings.address = address;
    settings.results_exchange = results;
    AmqpExecutionBroker broker(settings);
    if (!broker.start()) {
        state.SkipWithError("no broker");
        return;
    }
    if (broker.per_request_bindings() != per_request_binding) {
        state.SkipWithError("unexpected routing mode");
        return;
    }
    EchoRuntime echo(address, flavour, results);

    const int in_flight = static_cast<int>(state.range(0));
    constexpr int kPerIteration = 2000;
    std::int64_t sequence = 0;
    std::int64_t failures = 0;
    for (auto _ : state) {
        asio::io_context io;
        int started = 0;
        int done = 0;
        // Each worker runs round trips one after the other until kPerIteration have started.
        auto worker = [&]() -> asio::awaitable<void> {
            while (started < kPerIteration) {
                ++started;
                const std::string id = "r-" + suffix + "-" + std::to_string(++sequence);
                ExecutionRequest request{
                    flavour, id,
                    R"({"request_id":")" + id +
                        R"(","mode":"sync","payload":{"lang":"PY","params":["gAVLAi4="],"app_req_id":1}})",
                    std::chrono::steady_clock::now() + 10s};
                try {
                    co_await broker.execute(std::move(request));
                } catch (const std::exception&) {
                    ++failures;
                }
                ++done;
            }
        };
        for (int i = 0; i < in_flight; ++i) asio::co_spawn(io, worker(), asio::detached);
        io.run_for(120s);
        if (done != kPerIteration) {
            state.SkipWithError("round trips did not complete");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * kPerIteration);
    state.counters["failures"] = static_cast<double>(failures);
    broker.stop();
    AmqpConnection cleanup(address);
    cleanup.open_channel(1);
    cleanup.delete_queue(1, flavour);
    if (per_request_binding) cleanup.delete_exchange(1, results);  // `results` stays
}

void BM_RoundTrip_AlternateExchange(benchmark::State& state) {
    round_trips(state, false);
}
void BM_RoundTrip_PerRequestBinding(benchmark::State& state) {
    round_trips(state, true);
}

}  // namespace

BENCHMARK(BM_RoundTrip_AlternateExchange)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RoundTrip_PerRequestBinding)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
