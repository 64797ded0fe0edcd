// The broker's ceiling for bench/side_by_side.py: a raw AMQP client of its own (rabbitmq-c
// through AmqpConnection, one connection, one thread, no ECF code path) and the echo runtimes
// that both sides of the comparison share.
//
//   ecf_raw_round_trip client --port P --flavour F --outstanding K --seconds S [--warmup S]
//                             [--per-request-binding]
//       K requests outstanding at once, each sent again as soon as its result comes back, for
//       --warmup + --seconds (only the last S are measured), then at most 5 s to drain. Prints
//       one JSON line: round trips, round trips/s, p50/p99 in ms, the client's CPU per round
//       trip. The request is published as the ECF publishes it (default exchange, routing key =
//       flavour, mandatory, publisher confirms, correlation_id, expiration, the same body shape).
//       Fast path (default): K reply keys are bound to `results` once, before the run, so each
//       result reaches the client with no broker operation per request. --per-request-binding:
//       as the ECF without the results policy, a fresh request id per request, bound (no-wait)
//       before its publication and unbound (pipelined) after its result.
//   ecf_raw_round_trip echo --port P --flavour F [--max-seconds S]
//       An echo runtime: consumes the flavour (no acks: the runtime is not what is measured)
//       and answers each request at once on `results` with routing key = its request_id.
//   ecf_raw_round_trip sink --port P --flavour F [--max-seconds S]
//       A runtime that takes every request and never answers (held executions).
// The runtimes print "ready" once they consume and stop at SIGTERM or --max-seconds.

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/amqp_connection.hpp"

using namespace std::chrono_literals;
using ecf::broker::AmqpConfirm;
using ecf::broker::AmqpConnection;
using ecf::broker::AmqpDelivery;
using ecf::broker::AmqpProperties;
using ecf::broker::AmqpReturn;
using ecf::broker::BrokerAddress;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kResultsExchange = "results";
constexpr const char* kEchoResult =
    R"({"code":200,"message":{"ret_code":0,"res":"gAVLGC4=","err":null}})";

std::atomic<bool> stop_requested{false};

void on_signal(int) {
    stop_requested = true;
}

struct Options {
    std::string command;
    int port = 0;
    std::string flavour;
    int outstanding = 1;
    double seconds = 5;
    double warmup = 1;
    double max_seconds = 3600;
    bool per_request_binding = false;
};

Options parse(int argc, char** argv) {
    Options o;
    if (argc < 2) throw std::runtime_error("usage: ecf_raw_round_trip client|echo|sink ...");
    o.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--port")
            o.port = std::stoi(value());
        else if (a == "--flavour")
            o.flavour = value();
        else if (a == "--outstanding")
            o.outstanding = std::stoi(value());
        else if (a == "--seconds")
            o.seconds = std::stod(value());
        else if (a == "--warmup")
            o.warmup = std::stod(value());
        else if (a == "--max-seconds")
            o.max_seconds = std::stod(value());
        else if (a == "--per-request-binding")
            o.per_request_binding = true;
        else
            throw std::runtime_error("unknown option " + a);
    }
    if (o.port <= 0 || o.flavour.empty()) throw std::runtime_error("--port and --flavour needed");
    if (o.outstanding < 1 || o.outstanding > 4096)
        throw std::runtime_error("--outstanding 1..4096");
    return o;
}

BrokerAddress address_of(int port) {
    return BrokerAddress::parse("amqp://guest:guest@127.0.0.1:" + std::to_string(port));
}

double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// echo and sink: one consumer, no acks, until SIGTERM or max_seconds.
int run_runtime(const Options& o, bool answer) {
    ecf::broker::AmqpConnectionOptions options;
    options.connection_name = "bench-runtime";
    AmqpConnection connection(address_of(o.port), options);
    connection.open_channel(1);
    connection.declare_queue(1, o.flavour);
    connection.consume(1, o.flavour, /*no_ack=*/true);
    std::cout << "ready" << std::endl;
    const auto end = Clock::now() + std::chrono::duration<double>(o.max_seconds);
    AmqpProperties properties;
    properties.content_type = "application/json";
    while (!stop_requested && Clock::now() < end) {
        auto event = connection.next_event(100ms);
        auto* delivery = event ? std::get_if<AmqpDelivery>(&*event) : nullptr;
        if (!delivery || !answer) continue;
        boost::system::error_code ec;
        auto request = boost::json::parse(delivery->message.body, ec);
        const auto* id =
            ec || !request.is_object() ? nullptr : request.as_object().if_contains("request_id");
        if (!id || !id->is_string()) continue;
        connection.publish(1, kResultsExchange, std::string(id->as_string()), kEchoResult,
                           properties);
    }
    connection.close();
    return 0;
}

std::string request_body(const std::string& id) {
    return R"({"request_id":")" + id +
           R"(","mode":"sync","payload":{"lang":"PY","fc":"gAWVBQAAAAAAAACMAXiULg==","fc_hash":"83f8","params":["w0","i0"],"app_req_id":102}})";
}

double percentile_ms(std::vector<double>& sorted_us, double fraction) {
    if (sorted_us.empty()) return -1;
    const auto index = std::min(sorted_us.size() - 1,
                                static_cast<std::size_t>(fraction * (sorted_us.size() - 1) + 0.5));
    return sorted_us[index] / 1000.0;
}

int run_client(const Options& o) {
    ecf::broker::AmqpConnectionOptions options;
    options.connection_name = "bench-raw-client";
    AmqpConnection connection(address_of(o.port), options);
    connection.open_channel(1);
    connection.confirm_select(1);
    connection.declare_queue(1, o.flavour);
    // Contract §4's `results` (direct, default properties), as the ECF and ecf-runtime declare it.
    connection.declare_exchange(1, kResultsExchange, "direct");
    ecf::broker::AmqpQueueOptions reply_queue;
    reply_queue.exclusive = true;
    reply_queue.auto_delete = true;
    const std::string queue = connection.declare_queue(1, "", reply_queue);
    const std::string prefix = "raw-" + std::to_string(::getpid()) + "-";
    // The key of a slot in flight, and the slot of a key.
    std::vector<std::string> keys(static_cast<std::size_t>(o.outstanding));
    std::unordered_map<std::string, int> slot_of;
    std::uint64_t sequence = 0;
    for (int slot = 0; slot < o.outstanding; ++slot) {
        keys[slot] = prefix + std::to_string(slot);
        if (!o.per_request_binding) connection.bind_queue(1, queue, kResultsExchange, keys[slot]);
    }
    connection.consume(1, queue, /*no_ack=*/true, /*exclusive=*/true);

    AmqpProperties properties;
    properties.content_type = "application/json";
    properties.expiration = "30000";
    std::vector<Clock::time_point> sent(static_cast<std::size_t>(o.outstanding));
    auto send = [&](int slot) {
        if (o.per_request_binding) {
            keys[slot] = prefix + "b" + std::to_string(++sequence);
            connection.bind_queue(1, queue, kResultsExchange, keys[slot], /*nowait=*/true);
        }
        slot_of[keys[slot]] = slot;
        properties.correlation_id = keys[slot];
        sent[slot] = Clock::now();
        connection.publish(1, "", o.flavour, request_body(keys[slot]), properties,
                           /*mandatory=*/true);
    };

    const auto start = Clock::now();
    const auto measure_from = start + std::chrono::duration<double>(o.warmup);
    const auto measure_to = measure_from + std::chrono::duration<double>(o.seconds);
    const auto drain_to = measure_to + 5s;
    std::vector<double> latencies_us;
    latencies_us.reserve(1 << 20);
    std::uint64_t returned = 0, nacked = 0, confirmed = 0;
    std::uint64_t completed = 0;  // warm-up and drain included (for CPU per round trip)
    int in_flight = 0;
    double cpu_at_start = 0;
    bool measuring = false;
    for (int slot = 0; slot < o.outstanding; ++slot, ++in_flight) send(slot);
    while (in_flight > 0) {
        const auto now = Clock::now();
        if (now >= drain_to) break;
        if (!measuring && now >= measure_from) {
            measuring = true;
            cpu_at_start = cpu_seconds();
        }
        auto event = connection.next_event(50ms);
        if (!event) continue;
        if (auto* d = std::get_if<AmqpDelivery>(&*event)) {
            auto found = slot_of.find(d->routing_key);
            if (found == slot_of.end()) continue;
            const int slot = found->second;
            const auto done = Clock::now();
            ++completed;
            if (sent[slot] >= measure_from && done <= measure_to) {
                latencies_us.push_back(
                    std::chrono::duration<double, std::micro>(done - sent[slot]).count());
            }
            if (o.per_request_binding) {
                connection.unbind_queue(1, queue, kResultsExchange, keys[slot], /*pipelined=*/true);
                slot_of.erase(found);
            }
            if (done < measure_to) {
                send(slot);
            } else {
                --in_flight;
            }
        } else if (auto* c = std::get_if<AmqpConfirm>(&*event)) {
            (c->ack ? confirmed : nacked) += 1;
        } else if (auto* r = std::get_if<AmqpReturn>(&*event)) {
            ++returned;  // no queue for the flavour: nothing will answer it
            auto found = slot_of.find(r->message.properties.correlation_id);
            if (found != slot_of.end() && Clock::now() < measure_to) send(found->second);
        }
    }
    const double cpu = cpu_seconds() - cpu_at_start;
    std::sort(latencies_us.begin(), latencies_us.end());
    const double n = static_cast<double>(latencies_us.size());
    boost::json::object out{
        {"outstanding", o.outstanding},
        {"per_request_binding", o.per_request_binding},
        {"round_trips", latencies_us.size()},
        {"total_round_trips", completed},
        {"rps", n / o.seconds},
        {"p50_ms", percentile_ms(latencies_us, 0.50)},
        {"p99_ms", percentile_ms(latencies_us, 0.99)},
        {"client_cpu_us_per_round_trip", n > 0 ? cpu * 1e6 / n : -1},
        {"unfinished", in_flight},
        {"returned", returned},
        {"nacked", nacked},
    };
    std::cout << boost::json::serialize(out) << std::endl;
    connection.close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGTERM, on_signal);
    ::signal(SIGINT, on_signal);
    try {
        const Options o = parse(argc, argv);
        if (o.command == "client") return run_client(o);
        if (o.command == "echo") return run_runtime(o, true);
        if (o.command == "sink") return run_runtime(o, false);
        throw std::runtime_error("unknown command " + o.command);
    } catch (const std::exception& e) {
        std::cerr << "ecf_raw_round_trip: " << e.what() << std::endl;
        return 2;
    }
}
