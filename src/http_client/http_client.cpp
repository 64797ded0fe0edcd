#include "http_client/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <deque>
#include <mutex>

#include "core/error.hpp"

namespace ecf::http_client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct HttpClient::State {
    asio::any_io_executor executor;
    HttpClientOptions options;
    std::string host;
    std::string port;
    std::string base_path;
    std::string endpoint;  // host:port, for error messages (never the path's query or userinfo)

    std::mutex mutex;
    std::deque<std::unique_ptr<beast::tcp_stream>> idle;  // bounded by max_idle_connections

    std::unique_ptr<beast::tcp_stream> take_idle() {
        std::lock_guard lock(mutex);
        while (!idle.empty()) {
            auto stream = std::move(idle.front());
            idle.pop_front();
            if (stream->socket().is_open()) return stream;
        }
        return nullptr;
    }

    void give_back(std::unique_ptr<beast::tcp_stream> stream) {
        std::lock_guard lock(mutex);
        if (idle.size() < options.max_idle_connections) idle.push_back(std::move(stream));
    }

    [[noreturn]] void fail(std::string_view what) const {
        throw Error(ErrorKind::Internal,
                    "HTTP request to " + endpoint + " failed: " + std::string(what));
    }

    asio::awaitable<std::unique_ptr<beast::tcp_stream>> connect(Clock::time_point deadline) {
        using namespace asio::experimental::awaitable_operators;
        auto stream = std::make_unique<beast::tcp_stream>(asio::make_strand(executor));
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(host, ec);
        tcp::resolver::results_type endpoints;
        if (!ec) {
            endpoints = tcp::resolver::results_type::create(
                tcp::endpoint(address, static_cast<unsigned short>(std::stoi(port))), host, port);
        } else {
            // A resolve cannot be cancelled (getaddrinfo runs to its end on asio's resolver
            // thread): it runs in a coroutine of its own that hands its answer over a channel,
            // and the caller stops waiting for it at the deadline.
            using Answer = asio::experimental::concurrent_channel<void(
                boost::system::error_code, tcp::resolver::results_type)>;
            auto answer = std::make_shared<Answer>(executor, 1);
            asio::co_spawn(
                executor,
                [answer, executor = executor, host = host, port = port]() -> asio::awaitable<void> {
                    tcp::resolver resolver(executor);
                    boost::system::error_code resolve_error;
                    auto results = co_await resolver.async_resolve(
                        host, port, asio::redirect_error(asio::use_awaitable, resolve_error));
                    answer->try_send(resolve_error, std::move(results));
                },
                asio::detached);
            asio::steady_timer timer(executor, deadline);
            auto result =
                co_await (answer->async_receive(asio::redirect_error(asio::use_awaitable, ec)) ||
                          timer.async_wait(asio::use_awaitable));
            if (result.index() == 1) fail("timed out");
            if (ec) fail("cannot resolve host");
            endpoints = std::get<0>(std::move(result));
        }
        stream->expires_at(deadline);
        co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == beast::error::timeout) fail("timed out");
        if (ec) fail("cannot connect: " + ec.message());
        co_return stream;
    }

    asio::awaitable<HttpResponse> perform(http::request<http::string_body> request) {
        const auto deadline = Clock::now() + options.timeout;
        const bool ipv6 = host.find(':') != std::string::npos;
        request.set(http::field::host, (ipv6 ? "[" + host + "]" : host) + ":" + port);
        request.set(http::field::user_agent, "cognit-ecf");
        request.keep_alive(true);
        request.prepare_payload();

        // A pooled connection may have been closed by the peer while idle: the request then
        // fails before any answer, and is sent once more on a fresh connection.
        for (int attempt = 0;; ++attempt) {
            auto stream = attempt == 0 ? take_idle() : nullptr;
            const bool reused = stream != nullptr;
            if (!stream) stream = co_await connect(deadline);

            boost::system::error_code ec;
            stream->expires_at(deadline);
            co_await http::async_write(*stream, request,
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec == beast::error::timeout) fail("timed out");
            if (ec && reused) continue;
            if (ec) fail("cannot send: " + ec.message());

            beast::flat_buffer buffer;
            http::response_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(
                std::min<std::size_t>(options.max_response_bytes, 64 * 1024)));
            parser.body_limit(options.max_response_bytes);
            co_await http::async_read(*stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
            if (ec == beast::error::timeout) fail("timed out");
            if (ec == http::error::body_limit || ec == http::error::header_limit)
                fail("answer too large");
            if (ec && reused && !parser.got_some()) continue;
            if (ec) fail("cannot read the answer: " + ec.message());

            auto response = parser.release();
            HttpResponse out;
            out.status = response.result_int();
            out.content_type = std::string(response[http::field::content_type]);
            out.body = std::move(response.body());
            if (response.keep_alive() && buffer.size() == 0) {
                stream->expires_never();
                give_back(std::move(stream));
            } else {
                beast::error_code ignored;
                stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
            }
            co_return out;
        }
    }

    std::string target_for(const std::string& target) const {
        if (target.empty()) return base_path.empty() ? "/" : base_path;
        std::string path = base_path;
        if (!path.empty() && path.back() == '/' && target.front() == '/') path.pop_back();
        return path + target;
    }
};

HttpClient::HttpClient(asio::any_io_executor executor, std::string base_url,
                       HttpClientOptions options)
    : state_(std::make_shared<State>()) {
    state_->executor = std::move(executor);
    state_->options = options;
    const auto url = boost::urls::parse_uri(base_url);
    if (!url) throw Error(ErrorKind::Internal, "not a URL: the HTTP endpoint's address");
    if (url->scheme() != "http")
        throw Error(ErrorKind::Internal, "only http:// endpoints are supported");
    state_->host = std::string(url->encoded_host());
    if (state_->host.size() > 2 && state_->host.front() == '[' && state_->host.back() == ']')
        state_->host = state_->host.substr(1, state_->host.size() - 2);
    if (state_->host.empty()) throw Error(ErrorKind::Internal, "the HTTP endpoint has no host");
    state_->port = url->has_port() ? std::string(url->port()) : "80";
    if (state_->port.empty() || state_->port.size() > 5 ||
        state_->port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(state_->port) > 65535)
        throw Error(ErrorKind::Internal, "the HTTP endpoint's port is not a port number");
    state_->base_path = std::string(url->encoded_path());
    state_->endpoint = state_->host + ":" + state_->port;
}

HttpClient::~HttpClient() = default;

const std::string& HttpClient::endpoint() const {
    return state_->endpoint;
}

asio::awaitable<HttpResponse> HttpClient::get(std::string target) {
    auto state = state_;  // the client may be destroyed while a call is suspended
    http::request<http::string_body> request{http::verb::get, state->target_for(target), 11};
    co_return co_await state->perform(std::move(request));
}

asio::awaitable<HttpResponse> HttpClient::post(std::string target, std::string content_type,
                                               std::string body) {
    auto state = state_;
    http::request<http::string_body> request{http::verb::post, state->target_for(target), 11};
    request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
    co_return co_await state->perform(std::move(request));
}

}  // namespace ecf::http_client
