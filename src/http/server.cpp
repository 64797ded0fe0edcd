#include "http/server.hpp"

#include <sys/socket.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include "http/error_response.hpp"
#include "http/request_id.hpp"
#include "observability/log_text.hpp"

namespace ecf::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using asio::ip::tcp;

// Watches a connection while one of its requests is handled, for routes that end when their
// client leaves: when the client closes its side, the session's handler is cancelled (the
// session coroutine is spawned with this signal's slot). One per connection; shared with the
// session's completion handler and the pending wait, so that it outlives both. Used on the
// connection's strand only (or the one I/O thread).
struct ClientWatch {
    asio::cancellation_signal signal;
    bool armed = false;  // a request's handler runs and may be cancelled
    bool left = false;   // the client closed its side while it ran
};

namespace {

constexpr auto use_awaitable = asio::use_awaitable;
constexpr unsigned kClientClosedRequest = 499;

// Counts a connection or a request for as long as it lives; keeps the counter alive with it.
class CountedScope {
  public:
    CountedScope(std::shared_ptr<void> owner, std::atomic<std::size_t>& count)
        : owner_(std::move(owner)), count_(count) {
        ++count_;
    }
    ~CountedScope() { --count_; }
    CountedScope(const CountedScope&) = delete;
    CountedScope& operator=(const CountedScope&) = delete;

  private:
    std::shared_ptr<void> owner_;
    std::atomic<std::size_t>& count_;
};

// Waits (no coroutine: one reactor operation) for the socket to turn readable while the request
// is handled, and cancels the handler when that means the client closed its side: a read of 0
// bytes, or an error. Bytes waiting (a pipelined request) say nothing of a close: the handler
// then runs to its end.
void watch_for_leaving(tcp::socket& socket, std::shared_ptr<ClientWatch> watch) {
    watch->armed = true;
    socket.async_wait(tcp::socket::wait_read, [&socket, watch](boost::system::error_code ec) {
        if (ec || !watch->armed) return;
        char byte = 0;
        const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) return;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            watch_for_leaving(socket, std::move(watch));  // nothing yet: wait again
            return;
        }
        watch->left = true;
        watch->signal.emit(asio::cancellation_type::terminal);
    });
}

// The response to a request that is refused before it reaches a route (it could not be read, or
// its framing is refused): an error of the one vocabulary, and the connection closes after it.
Response closing_error(const Error& error) {
    Request request{beast_http::verb::get, "/", 11};
    request.keep_alive(false);
    auto response = error_response(error, request);
    response.keep_alive(false);
    return response;
}

// RFC 9112 §6.1: of the transfer codings only `chunked` is implemented; a request that names any
// other (`gzip, chunked`) is answered 501, since its body cannot be read as it was meant.
bool is_plain_chunked(std::string_view coding) {
    auto space = [](char c) { return c == ' ' || c == '\t'; };
    while (!coding.empty() && space(coding.front())) coding.remove_prefix(1);
    while (!coding.empty() && space(coding.back())) coding.remove_suffix(1);
    return beast::iequals(coding, "chunked");
}

// The path of a request target, for finding its route before the body is read.
std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

tcp::endpoint resolve_listen_address(asio::io_context& io, const std::string& host,
                                     std::uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) return {address, port};
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port));
    return results.begin()->endpoint();
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, const Router& router,
               std::vector<std::shared_ptr<const observability::RequestObserver>> observers,
               std::shared_ptr<spdlog::logger> logger)
    : io_(io),
      options_(std::move(options)),
      router_(router),
      observers_(std::move(observers)),
      logger_(std::move(logger)),
      acceptor_(asio::make_strand(io)),
      per_address_(std::make_shared<AddressConnections>(options_.max_connections_per_address)) {}

void Server::start() {
    const auto endpoint = resolve_listen_address(io_, options_.host, options_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void Server::observe(const observability::AccessRecord& record) const {
    for (const auto& observer : observers_) observer->record(record);
}

tcp::endpoint Server::local_endpoint() const {
    return acceptor_.local_endpoint();
}

void Server::shutdown(std::function<void()> drained) {
    if (stopping_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
    });
    asio::co_spawn(asio::make_strand(io_), drain(std::move(drained)), asio::detached);
}

asio::awaitable<void> Server::drain(std::function<void()> drained) {
    const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (gauges_->requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(use_awaitable);
    }
    if (gauges_->requests_in_flight.load() > 0) {
        logger_->warn("shutdown: {} requests still in flight after the drain time",
                      gauges_->requests_in_flight.load());
    }
    drained();
}

namespace {

// What went wrong, for the operator's log (the client may have been told less): the current
// exception's message, escaped.
std::string cause_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        return observability::printable_utf8(e.what());
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace

void Server::log_server_failure(const std::string& request_id, const std::string& cause) {
    // One warning line per failure, but at most one a second in an outage (with how many).
    std::optional<std::size_t> due;
    {
        std::lock_guard lock(server_failures_mutex_);
        due = server_failures_.count(std::chrono::steady_clock::now());
    }
    if (!due) return;
    if (*due == 1) {
        logger_->warn("request {} failed: {}", observability::printable_utf8(request_id), cause);
    } else {
        logger_->warn("request {} failed: {} ({} server failures since the last such line)",
                      observability::printable_utf8(request_id), cause, *due);
    }
}

void Server::log_accept_failure(const boost::system::error_code& ec) {
    if (auto failures = accept_failures_.count(std::chrono::steady_clock::now())) {
        logger_->warn("accept failed {} times in the last second: {}", *failures, ec.message());
    }
}

asio::awaitable<void> Server::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        // Named: GCC 12 destroys a temporary holding a shared_ptr (a strand) twice when it is
        // made inside a co_await expression.
        asio::any_io_executor executor_of_connection =
            options_.io_threads == 1 ? asio::any_io_executor(io_.get_executor())
                                     : asio::any_io_executor(asio::make_strand(io_));
        tcp::socket socket = co_await acceptor_.async_accept(
            executor_of_connection, asio::redirect_error(use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec) {
            // Out of descriptors and the like: wait a little rather than spin.
            log_accept_failure(ec);
            asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
        }
        auto executor = socket.get_executor();
        if (gauges_->connections.load() >= options_.max_connections) {
            asio::co_spawn(
                executor,
                refuse(std::move(socket), Error(ErrorKind::Unavailable, "Too many connections")),
                asio::detached);
            continue;
        }
        std::string peer;
        if (auto remote = socket.remote_endpoint(ec); !ec) peer = remote.address().to_string();
        auto lease = per_address_->try_acquire(peer);
        if (!lease) {
            asio::co_spawn(executor,
                           refuse(std::move(socket), Error(ErrorKind::TooManyRequests,
                                                           "Too many connections from this address",
                                                           std::chrono::seconds(1))),
                           asio::detached);
            continue;
        }
        // The session is cancelled through its watch when a client leaves during a request of
        // a route that ends then (RouteLimits::ends_when_client_leaves).
        auto watch = std::make_shared<ClientWatch>();
        auto& leaving = watch->signal;
        auto on_end = [this, watch](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& failure) {
                logger_->error("connection failed: {}",
                               observability::printable_utf8(failure.what()));
            }
        };
        asio::co_spawn(executor,
                       session(std::move(socket), std::move(peer), std::move(lease), watch),
                       asio::bind_cancellation_slot(leaving.slot(), std::move(on_end)));
    }
}

asio::awaitable<void> Server::refuse(tcp::socket socket, Error why) {
    CountedScope counted(gauges_, gauges_->connections);
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(options_.header_timeout);
    auto response = closing_error(why);
    boost::system::error_code ec;
    co_await beast_http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

namespace {

// One request read from a connection, or the reason it is refused before any route sees it.
struct RequestRead {
    bool closed = false;  // nothing to answer: the connection ends (closed, idle, timed out)
    Request request;      // as far as it was read, when refused
    std::optional<Error> refusal;
    RouteLimits limits;
};

// Where a request counts as in flight from its header on (drain() waits for those).
struct InFlight {
    std::shared_ptr<void> owner;
    std::atomic<std::size_t>& count;
    std::optional<CountedScope>& scope;
};

// Reads the next request of a connection: its header, checked against its route's limits
// before any body is read, then its body. A coroutine of its own so that the parser and what
// reading needs are freed before the request is handled: a sync execution keeps its session
// waiting for its runtime, and thousands may wait at once.
asio::awaitable<RequestRead> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                          bool first, const ServerOptions& options,
                                          const Router& router, InFlight& in_flight) {
    RequestRead read;
    boost::system::error_code ec;
    // Waiting for a request to begin is bounded by the idle time on a kept-alive connection;
    // once it begins, header and body each have header_timeout.
    if (buffer.size() == 0) {
        stream.expires_after(first ? options.header_timeout : options.idle_timeout);
        const std::size_t n = co_await stream.async_read_some(
            buffer.prepare(4096), asio::redirect_error(use_awaitable, ec));
        if (ec) {
            read.closed = true;
            co_return read;
        }
        buffer.commit(n);
    }

    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(std::max(options.max_body_bytes, options.max_small_body_bytes));
    bool extension_too_long = false;
    auto on_chunk_header = [&options, &extension_too_long](std::uint64_t,
                                                           beast::string_view extensions,
                                                           boost::system::error_code& chunk_ec) {
        if (extensions.size() > options.max_chunk_extension_bytes) {
            extension_too_long = true;
            chunk_ec = beast_http::error::bad_chunk_extension;
        }
    };
    parser.on_chunk_header(on_chunk_header);
    stream.expires_after(options.header_timeout);
    co_await beast_http::async_read_header(stream, buffer, parser,
                                           asio::redirect_error(use_awaitable, ec));
    in_flight.scope.emplace(in_flight.owner, in_flight.count);
    if (ec == beast::error::timeout || ec == asio::error::eof ||
        ec == beast_http::error::end_of_stream || ec == asio::error::connection_reset) {
        read.closed = true;
    } else if (ec == beast_http::error::body_limit) {
        // A Content-Length beyond the limit is refused before any body is read.
        read.refusal = Error(ErrorKind::PayloadTooLarge, "Request body too large");
    } else if (ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow) {
        read.refusal = Error(ErrorKind::HeaderTooLarge, "Request header too large");
    } else if (ec) {
        read.refusal = Error(ErrorKind::BadRequest, "Bad Request");
    } else {
        const auto& header = parser.get();
        const auto coding = header[beast_http::field::transfer_encoding];
        read.limits = router.limits_of(header.method(), path_of(header.target()));
        const std::size_t body_limit = read.limits.body == BodySize::Large
                                           ? options.max_body_bytes
                                           : options.max_small_body_bytes;
        parser.body_limit(body_limit);
        const auto length = parser.content_length();
        if (header.count(beast_http::field::transfer_encoding) > 0 && !is_plain_chunked(coding)) {
            read.refusal = Error(ErrorKind::NotImplemented,
                                 "Transfer-Encoding other than chunked is not implemented");
        } else if (length && *length > body_limit) {
            read.refusal = Error(ErrorKind::PayloadTooLarge, "Request body too large");
        } else {
            if (beast::iequals(header[beast_http::field::expect], "100-continue")) {
                beast_http::response<beast_http::empty_body> proceed{beast_http::status::continue_,
                                                                     header.version()};
                co_await beast_http::async_write(stream, proceed,
                                                 asio::redirect_error(use_awaitable, ec));
                if (ec) {
                    read.closed = true;
                    co_return read;
                }
            }
            co_await beast_http::async_read(stream, buffer, parser,
                                            asio::redirect_error(use_awaitable, ec));
            if (ec == beast_http::error::body_limit) {
                read.refusal = Error(ErrorKind::PayloadTooLarge, "Request body too large");
            } else if (ec == beast::error::timeout || ec == asio::error::eof ||
                       ec == asio::error::connection_reset) {
                read.closed = true;
            } else if (extension_too_long) {
                read.refusal = Error(ErrorKind::BadRequest, "Chunk extension too long");
            } else if (ec == beast_http::error::buffer_overflow) {
                read.refusal = Error(ErrorKind::BadRequest, "Chunk header too long");
            } else if (ec) {
                read.refusal = Error(ErrorKind::BadRequest, "Bad Request");
            }
        }
    }
    if (!read.closed) read.request = parser.release();
    co_return read;
}

}  // namespace

asio::awaitable<void> Server::session(tcp::socket socket, std::string peer,
                                      [[maybe_unused]] AddressConnections::Lease lease,
                                      std::shared_ptr<ClientWatch> watch) {
    CountedScope counted(gauges_, gauges_->connections);
    boost::system::error_code ec;
    // Responses go out in one write; waiting for more to coalesce only adds latency.
    socket.set_option(tcp::no_delay(true), ec);
    // The stream's timeouts (beast's tcp_stream, about 0.5 KB with its three timers) are needed
    // only while a request is read or a response written: while a request is handled (a sync
    // execution waits for its runtime, up to its deadline, and thousands may wait at once) the
    // session keeps the bare socket.
    std::optional<beast::tcp_stream> stream(std::in_place, std::move(socket));
    // The buffer holds a header, or a chunk header, at a time (body bytes move on into the
    // body): bounded, so that a chunk extension without end cannot grow it.
    beast::flat_buffer buffer(options_.max_header_bytes + options_.max_chunk_extension_bytes +
                              64 * 1024);
    for (bool first = true;; first = false) {
        std::optional<CountedScope> in_flight;
        // Named: GCC 12 mishandles a braced temporary argument of a coroutine that holds a
        // shared_ptr (ASan: its count dropped twice).
        InFlight counter{gauges_, gauges_->requests_in_flight, in_flight};
        auto read = co_await read_request(*stream, buffer, first, options_, router_, counter);
        if (read.closed) break;
        if (!read.refusal && stopping_.load()) {
            // A request that arrives on a kept-alive connection while draining: say so, rather
            // than drop the connection under it.
            read.refusal = Error(ErrorKind::Unavailable, "Shutting down");
        }
        Response response;
        if (read.refusal) {
            response = refused(*read.refusal, read.request, peer);
        } else {
            socket = stream->release_socket();
            stream.reset();
            // Nor a read buffer while the request is handled: with thousands of waiting
            // executions these few KiB each would be most of the server's memory; the next
            // request allocates one again.
            if (buffer.size() == 0) buffer.shrink_to_fit();
            bool client_left = false;
            std::exception_ptr failure;
            std::chrono::steady_clock::time_point started;  // for the access log's 499
            if (read.limits.ends_when_client_leaves) {
                started = std::chrono::steady_clock::now();
                watch_for_leaving(socket, watch);
                try {
                    response = co_await handle(read.request, peer, read.limits.json);
                } catch (...) {
                    failure = std::current_exception();
                }
                watch->armed = false;
                socket.cancel(ec);  // the wait, if still pending
                client_left = watch->left;
            } else {
                response = co_await handle(read.request, peer, read.limits.json);
            }
            stream.emplace(std::move(socket));
            if (client_left) {
                observe_client_left(read.request, peer, started);
                break;
            }
            if (failure) std::rethrow_exception(failure);
        }
        const bool keep_alive = response.keep_alive() && !stopping_.load();
        response.keep_alive(keep_alive);
        stream->expires_after(options_.header_timeout);
        co_await beast_http::async_write(*stream, response,
                                         asio::redirect_error(use_awaitable, ec));
        if (ec || !keep_alive) break;
    }
    stream->socket().shutdown(tcp::socket::shutdown_send, ec);
}

Response Server::refused(const Error& why, const Request& request, const std::string& peer) {
    auto response = closing_error(why);
    response.set("X-Request-Id", make_request_id());
    observe({.method = request.method_string(),
             .target = request.target(),
             .status = response.result_int(),
             .duration = {},
             .request_id = response["X-Request-Id"],
             .user = {},
             .peer = peer});
    return response;
}

// Nobody to answer: the handler was cancelled (a long poll or an execution let go). 499 in the
// access log, as proxies name a request its client closed.
void Server::observe_client_left(const Request& request, const std::string& peer,
                                 std::chrono::steady_clock::time_point started) {
    observe({.method = request.method_string(),
             .target = request.target(),
             .status = kClientClosedRequest,
             .duration = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now() - started),
             .request_id = {},
             .user = {},
             .peer = peer});
}

asio::awaitable<Response> Server::handle(Request& request, const std::string& peer,
                                         const JsonLimits& json_limits) {
    const auto started = std::chrono::steady_clock::now();
    const auto client_id = request["X-Request-Id"];
    RequestContext context{
        .request = request,
        .request_id = is_sane_request_id(client_id) ? std::string(client_id) : make_request_id(),
        .path_params = {},
        .query = {},
        .user = {},
        .json_limits = json_limits,
        .peer = peer,
        .log_fields = {}};
    Response response;
    std::exception_ptr failure;
    try {
        response = co_await (*route(context))(context);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        // Cancelled because its client left (ends_when_client_leaves): nobody to answer, and not
        // a failure of ours; the session logs it.
        const auto cancellation = co_await asio::this_coro::cancellation_state;
        if (cancellation.cancelled() != asio::cancellation_type::none) {
            std::rethrow_exception(failure);
        }
        response = failure_response(failure, context);
    }
    answered(response, context, started);
    co_return response;
}

const Handler* Server::route(RequestContext& context) const {
    auto target = boost::urls::parse_origin_form(context.request.target());
    if (!target) throw Error(ErrorKind::BadRequest, "Bad Request");
    for (const auto& param : target->params()) context.query[param.key] = param.value;
    auto match = router_.find(context.request.method(), target->path());
    if (!match) throw Error(ErrorKind::NotFound, "Not Found");
    if (match->handler == nullptr) throw Error(ErrorKind::MethodNotAllowed, "Method Not Allowed");
    context.path_params = std::move(match->path_params);
    return match->handler;
}

Response Server::failure_response(const std::exception_ptr& failure,
                                  const RequestContext& context) {
    auto response = error_response(failure, context.request);
    if (response.result_int() >= 500) log_server_failure(context.request_id, cause_of(failure));
    return response;
}

void Server::answered(Response& response, const RequestContext& context,
                      std::chrono::steady_clock::time_point started) const {
    response.set("X-Request-Id", context.request_id);
    observe({.method = context.request.method_string(),
             .target = context.request.target(),
             .status = response.result_int(),
             .duration = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now() - started),
             .request_id = context.request_id,
             .user = context.user,
             .peer = context.peer,
             .fields = &context.log_fields});
}

}  // namespace ecf::http
