#include "runtime/runtime_worker.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <system_error>
#include <thread>
#include <variant>

#include "broker/results_exchange.hpp"
#include "core/error.hpp"
#include "runtime/request_message.hpp"

namespace ecf::runtime {
namespace {

constexpr std::uint16_t kChannel = 1;
// basic.cancel (class 60, method 30): RabbitMQ cancels a consumer whose queue was deleted.
// Connecting again declares the queue anew and consumes it.
constexpr std::uint32_t kBasicCancelMethod = 0x003C001E;

}  // namespace

RuntimeWorker::RuntimeWorker(RuntimeWorkerOptions options, Executor& executor,
                             const std::atomic<bool>& stop_requested)
    : options_(std::move(options)), executor_(executor), stop_requested_(stop_requested) {}

void RuntimeWorker::run() {
    reconnect_delay_ = options_.reconnect_delay;
    while (!stop_requested_) {
        const auto& address =
            broker_index_ == 0 ? options_.broker : options_.other_brokers[broker_index_ - 1];
        try {
            broker::AmqpConnectionOptions connection_options;
            connection_options.connection_name = "ecf-runtime " + options_.flavour;
            connection_options.heartbeat_seconds = options_.heartbeat_seconds;
            connection_options.tls_ca_file = options_.broker_ca_file;
            connection_options.tls_cert_file = options_.broker_cert_file;
            connection_options.tls_key_file = options_.broker_key_file;
            broker::AmqpConnection connection(address, connection_options);
            serve(connection, address);
            connection.close();
        } catch (const broker::AmqpError& e) {
            // AmqpError messages name the broker without its password.
            spdlog::warn("broker: {}; connecting again in {} ms", e.what(),
                         reconnect_delay_.count());
            // The next node of a cluster (the same broker when there is one).
            broker_index_ = (broker_index_ + 1) % (options_.other_brokers.size() + 1);
            if (!wait_before_reconnecting(reconnect_delay_)) break;
            reconnect_delay_ = std::min(reconnect_delay_ * 2, options_.max_reconnect_delay);
        }
    }
    spdlog::info("stopped");
}

void RuntimeWorker::serve(broker::AmqpConnection& connection,
                          const broker::BrokerAddress& address) {
    waiting_.clear();
    published_ = 0;
    connection.open_channel(kChannel);
    // The flavour queue with default properties, exactly as the ECF and the SRs declare it
    // (contract §4): any other property makes RabbitMQ refuse the declaration.
    connection.declare_queue(kChannel, options_.flavour);
    // `results` exactly as the ECF declares it, whichever of the two starts first.
    broker::declare_results_exchange(connection, kChannel, broker::kResultsExchange,
                                     broker::kUnroutedResultsExchange);
    connection.confirm_select(kChannel);
    connection.qos(kChannel, options_.prefetch);
    connection.consume(kChannel, options_.flavour, /*no_ack=*/false);
    reconnect_delay_ = options_.reconnect_delay;  // consuming again: the backoff starts anew
    spdlog::info("consuming queue '{}' on {} with prefetch {}", options_.flavour,
                 address.redacted(), options_.prefetch);

    while (!stop_requested_) {
        if (!waiting_.empty()) {
            const broker::AmqpDelivery delivery = std::move(waiting_.front());
            waiting_.pop_front();
            handle(connection, delivery);
            continue;
        }
        auto event = connection.next_event(options_.poll_interval);
        if (!event) continue;
        if (auto* delivery = std::get_if<broker::AmqpDelivery>(&*event)) {
            handle(connection, *delivery);
        } else {
            keep(std::move(*event));
        }
    }
    // Deliveries received but not started go back to the queue when the channel closes.
    spdlog::info("stop requested; {} waiting deliveries go back to the queue", waiting_.size());
}

void RuntimeWorker::keep(broker::AmqpEvent event) {
    if (auto* delivery = std::get_if<broker::AmqpDelivery>(&event)) {
        waiting_.push_back(std::move(*delivery));
    } else if (auto* closed = std::get_if<broker::AmqpChannelClosed>(&event)) {
        throw broker::AmqpError("broker closed the channel: " + std::to_string(closed->reply_code) +
                                " " + closed->reply_text);
    }
    if (auto* other = std::get_if<broker::AmqpOtherMethod>(&event);
        other != nullptr && other->method_id == kBasicCancelMethod) {
        throw broker::AmqpError("broker cancelled the consumer (queue '" + options_.flavour +
                                "' deleted?)");
    }
    // Other events (late confirms, returns) need nothing.
}

void RuntimeWorker::handle(broker::AmqpConnection& connection,
                           const broker::AmqpDelivery& delivery) {
    RequestMessage request;
    try {
        request = parse_request_message(delivery.message.body);
    } catch (const Error& e) {
        // Redelivering it would fail the same way forever.
        spdlog::warn("dropping a malformed request message ({} bytes): {}",
                     delivery.message.body.size(), e.what());
        connection.ack(kChannel, delivery.delivery_tag);
        return;
    }
    spdlog::debug("executing request {}{}", request.request_id,
                  delivery.redelivered ? " (redelivered)" : "");
    const auto started = std::chrono::steady_clock::now();
    const broker::ExecutionResult result = execute_while_serving(connection, request.payload);
    publish_confirmed(connection, request.request_id, result_message_body(result));
    connection.ack(kChannel, delivery.delivery_tag);
    spdlog::info("request {}: code {} in {} ms", request.request_id, result.code,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
}

broker::ExecutionResult RuntimeWorker::execute_while_serving(broker::AmqpConnection& connection,
                                                             const boost::json::value& payload) {
    // Told by the execution when it is done, so that the wait below can watch the broker's
    // socket and the execution at once and answer without delay.
    const int done_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (done_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    struct CloseOnExit {
        int fd;
        ~CloseOnExit() { ::close(fd); }
    } close_done_fd{done_fd};

    auto execution = std::async(std::launch::async, [this, &payload, done_fd] {
        broker::ExecutionResult result;
        try {
            result = executor_.execute(payload);
        } catch (const std::exception& e) {
            // Executors answer failures themselves; this is a bug or resource exhaustion.
            spdlog::error("executor failed: {}", e.what());
            result = {500, boost::json::string("Internal Server Error")};
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = ::write(done_fd, &one, sizeof one);
        return result;
    });
    // rabbitmq-c answers heartbeats only while it is called: keep reading while the function
    // runs (at least every second). If the connection is lost meanwhile, the execution still
    // finishes (the future's destructor waits; every executor has a time limit) before the
    // error goes up.
    while (execution.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
        if (!connection.has_buffered_input()) {
            pollfd fds[2] = {{connection.socket_fd(), POLLIN, 0}, {done_fd, POLLIN, 0}};
            ::poll(fds, 2, 1000);
        }
        if (auto event = connection.next_event(std::chrono::milliseconds(0))) {
            keep(std::move(*event));
        }
    }
    return execution.get();
}

void RuntimeWorker::publish_confirmed(broker::AmqpConnection& connection,
                                      const std::string& request_id, const std::string& body) {
    broker::AmqpProperties properties;
    properties.content_type = "application/json";
    connection.publish(kChannel, broker::kResultsExchange, request_id, body, properties);
    const std::uint64_t sequence = ++published_;
    const auto deadline = std::chrono::steady_clock::now() + options_.confirm_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto event = connection.next_event(std::chrono::milliseconds(50));
        if (!event) continue;
        if (auto* confirm = std::get_if<broker::AmqpConfirm>(&*event)) {
            const bool covers = confirm->delivery_tag == sequence ||
                                (confirm->multiple && confirm->delivery_tag >= sequence);
            if (!covers) continue;
            // A nack means the broker lost the result; the request is acked all the same,
            // since running it again could repeat a side effect of the function.
            if (!confirm->ack) spdlog::error("broker refused the result of {}", request_id);
            return;
        }
        keep(std::move(*event));
    }
    throw broker::AmqpError("broker did not confirm a result in time");
}

bool RuntimeWorker::wait_before_reconnecting(std::chrono::milliseconds delay) const {
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
        if (stop_requested_) return false;
        std::this_thread::sleep_for(std::min(options_.poll_interval, delay));
    }
    return !stop_requested_;
}

}  // namespace ecf::runtime
