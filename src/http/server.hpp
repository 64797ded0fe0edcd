#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "http/address_connections.hpp"
#include "http/router.hpp"
#include "observability/burst_counter.hpp"
#include "observability/request_observer.hpp"

namespace ecf::http {

struct ClientWatch;  // server.cpp

struct ServerOptions {
    std::string host = "0.0.0.0";
    std::uint16_t port = 1339;  // 0: any free port (see Server::local_endpoint)
    // Largest body of the routes that carry payloads (RouteLimits BodySize::Large), and of every
    // other route (BodySize::Small).
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::size_t max_small_body_bytes = 64 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    // Longest chunk extension (RFC 9112 §7.1.1) of one chunk of a chunked body.
    std::size_t max_chunk_extension_bytes = 1024;
    // Longest time to read a request's header, and then its body, once its first byte came.
    std::chrono::milliseconds header_timeout{10'000};
    // Longest wait for the next request on a kept-alive connection.
    std::chrono::milliseconds idle_timeout{60'000};
    std::size_t max_connections = 10'000;
    // Open connections from one remote address; beyond it a new one gets 429 and is closed.
    std::size_t max_connections_per_address = 256;
    // On shutdown, longest wait for the requests in flight.
    std::chrono::milliseconds drain_timeout{30'000};
    // Threads that run the io_context. With one, no two handlers ever run at once (Asio's
    // implicit strand): a connection needs no strand of its own, and each of its completions
    // saves a trip through the scheduler. 0 (unknown) or more: a strand per connection.
    unsigned io_threads = 0;
};

// HTTP/1.1 server with keep-alive: one coroutine per connection on its own strand of the given
// io_context, which any number of threads may run (with one, see ServerOptions::io_threads). Every
// response carries X-Request-Id and every request is told to the observers (access log, metrics).
class Server {
  public:
    Server(boost::asio::io_context& io, ServerOptions options, const Router& router,
           std::vector<std::shared_ptr<const observability::RequestObserver>> observers,
           std::shared_ptr<spdlog::logger> logger);

    // Binds and starts accepting. Throws std::system_error when the address cannot be bound.
    void start();
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    // Stops accepting, lets the requests in flight finish (up to drain_timeout), then calls
    // `drained` once, on an I/O thread. Idle kept-alive connections are not waited for.
    void shutdown(std::function<void()> drained);

    std::size_t connections() const noexcept { return gauges_->connections.load(); }
    // Whether shutdown() was called: /readyz answers 503 from then on.
    bool draining() const noexcept { return stopping_.load(); }

  private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket, std::string peer,
                                         AddressConnections::Lease lease,
                                         std::shared_ptr<ClientWatch> watch);
    boost::asio::awaitable<void> refuse(boost::asio::ip::tcp::socket socket, Error why);
    void log_accept_failure(const boost::system::error_code& ec);
    void log_server_failure(const std::string& request_id, const std::string& cause);
    boost::asio::awaitable<Response> handle(Request& request, const std::string& peer,
                                            const JsonLimits& json_limits);
    // Plain functions, not coroutines: what they build lives on the stack, not in the frame of
    // a session that may wait long.
    Response refused(const Error& why, const Request& request, const std::string& peer);
    // The handler of the request's route, its query and path parameters put in `context`
    // (throws Error: 400, 404, 405).
    const Handler* route(RequestContext& context) const;
    Response failure_response(const std::exception_ptr& failure, const RequestContext& context);
    // The request id set and the access log told.
    void answered(Response& response, const RequestContext& context,
                  std::chrono::steady_clock::time_point started) const;
    void observe_client_left(const Request& request, const std::string& peer,
                             std::chrono::steady_clock::time_point started);
    boost::asio::awaitable<void> drain(std::function<void()> drained);

    boost::asio::io_context& io_;
    ServerOptions options_;
    const Router& router_;
    void observe(const observability::AccessRecord& record) const;

    std::vector<std::shared_ptr<const observability::RequestObserver>> observers_;
    std::shared_ptr<spdlog::logger> logger_;
    boost::asio::ip::tcp::acceptor acceptor_;
    // Shared with the connections' coroutines: a coroutine frame destroyed with the io_context
    // after the server is gone still decrements them.
    struct Gauges {
        std::atomic<std::size_t> connections{0};
        std::atomic<std::size_t> requests_in_flight{0};
    };
    std::shared_ptr<Gauges> gauges_ = std::make_shared<Gauges>();
    std::shared_ptr<AddressConnections> per_address_;
    // Accept failures (out of descriptors) come in bursts: one log line a second says how many.
    // Used on the acceptor's strand only.
    observability::BurstCounter accept_failures_{std::chrono::seconds(1)};
    // Requests that failed with a 5xx: a warning each, at most one line a second in an outage.
    std::mutex server_failures_mutex_;
    observability::BurstCounter server_failures_{std::chrono::seconds(1)};
    std::atomic<bool> stopping_{false};
};

}  // namespace ecf::http
