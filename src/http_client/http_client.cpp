#include "http_client/http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <deque>
#include <mutex>
#include <optional>

#include "core/error.hpp"

namespace ecf::http_client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
using Clock = std::chrono::steady_clock;

namespace {

// One connection to the endpoint: plain TCP, or TLS over TCP. Both layers share the tcp_stream's
// deadline (expires_at on the lowest layer bounds the TLS handshake and records too).
struct Connection {
    Connection(const asio::any_io_executor& executor, ssl::context* tls_context) {
        if (tls_context)
            tls.emplace(executor, *tls_context);
        else
            plain.emplace(executor);
    }

    beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    // Runs `operation` (a function of the stream returning an awaitable) on the stream in use.
    template <class Operation>
    auto on_stream(Operation operation) {
        return tls ? operation(*tls) : operation(*plain);
    }

    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
};

// What OpenSSL says about a refused certificate ("certificate verify failed: hostname mismatch"),
// or the error's own text. Certificates are public: nothing secret can appear here.
std::string tls_failure(const boost::system::error_code& ec, SSL* ssl) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    if (ec.category() == asio::error::get_ssl_category()) {
        char text[256];
        ERR_error_string_n(static_cast<unsigned long>(ec.value()), text, sizeof text);
        return text;
    }
    return ec.message();
}

}  // namespace

struct HttpClient::State {
    asio::any_io_executor executor;
    HttpClientOptions options;
    std::string host;
    std::string port;
    std::string base_path;
    std::string endpoint;  // host:port, for error messages (never the path's query or userinfo)
    std::optional<ssl::context> tls_context;  // https:// only

    std::mutex mutex;
    std::deque<std::unique_ptr<Connection>> idle;  // bounded by max_idle_connections

    std::unique_ptr<Connection> take_idle() {
        std::lock_guard lock(mutex);
        while (!idle.empty()) {
            auto stream = std::move(idle.front());
            idle.pop_front();
            if (stream->tcp().socket().is_open()) return stream;
        }
        return nullptr;
    }

    void give_back(std::unique_ptr<Connection> stream) {
        std::lock_guard lock(mutex);
        if (idle.size() < options.max_idle_connections) idle.push_back(std::move(stream));
    }

    [[noreturn]] void fail(std::string_view what) const {
        throw Error(ErrorKind::Internal,
                    "HTTP request to " + endpoint + " failed: " + std::string(what));
    }

    // A cancelled call (e.g. the caller's own deadline won an `||`) ends here, not in a retry.
    asio::awaitable<void> fail_if_cancelled() const {
        const auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none) fail("cancelled");
    }

    asio::awaitable<std::unique_ptr<Connection>> connect(Clock::time_point deadline) {
        using namespace asio::experimental::awaitable_operators;
        auto stream = std::make_unique<Connection>(asio::make_strand(executor),
                                                   tls_context ? &*tls_context : nullptr);
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
        stream->tcp().expires_at(deadline);
        co_await stream->tcp().async_connect(endpoints,
                                             asio::redirect_error(asio::use_awaitable, ec));
        if (ec == beast::error::timeout) fail("timed out");
        if (ec) co_await fail_if_cancelled();
        if (ec) fail("cannot connect: " + ec.message());
        if (stream->tls) co_await handshake(*stream->tls);
        co_return stream;
    }

    asio::awaitable<void> handshake(beast::ssl_stream<beast::tcp_stream>& tls) {
        SSL* ssl = tls.native_handle();
        // Server Name Indication, for names only (RFC 6066 forbids addresses).
        boost::system::error_code ec;
        const bool is_address = (asio::ip::make_address(host, ec), !ec);
        if (!is_address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)
            fail("cannot set the TLS server name");
        // The name check as ssl::host_name_verification does it (X509_check_host/_ip), set on
        // OpenSSL's verify parameters so that a mismatch is reported as such
        // ("hostname mismatch") instead of as an anonymous verify failure.
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int named = is_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                     : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        if (named != 1) fail("cannot set the TLS host name to verify");
        co_await tls.async_handshake(ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec == beast::error::timeout) fail("timed out");
        if (ec) co_await fail_if_cancelled();
        if (ec) fail("TLS handshake failed: " + tls_failure(ec, ssl));
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
            stream->tcp().expires_at(deadline);
            co_await stream->on_stream([&](auto& s) {
                return http::async_write(s, request, asio::redirect_error(asio::use_awaitable, ec));
            });
            if (ec == beast::error::timeout) fail("timed out");
            if (ec) co_await fail_if_cancelled();
            if (ec && reused) continue;
            if (ec) fail("cannot send: " + ec.message());

            beast::flat_buffer buffer;
            http::response_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(
                std::min<std::size_t>(options.max_response_bytes, 64 * 1024)));
            parser.body_limit(options.max_response_bytes);
            co_await stream->on_stream([&](auto& s) {
                return http::async_read(s, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
            });
            if (ec == beast::error::timeout) fail("timed out");
            if (ec) co_await fail_if_cancelled();
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
                stream->tcp().expires_never();
                give_back(std::move(stream));
            } else {
                // Not reused: closed without TLS close_notify, which would cost a round trip.
                beast::error_code ignored;
                stream->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
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

namespace {

ssl::context make_tls_context(const HttpClientOptions& options) {
    ssl::context context(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (options.tls.ca_file.empty()) {
        context.set_default_verify_paths(ec);
        if (ec) throw Error(ErrorKind::Internal, "cannot load the system's CA certificates");
    } else {
        context.load_verify_file(options.tls.ca_file, ec);
        if (ec) throw Error(ErrorKind::Internal, "cannot load the CA file " + options.tls.ca_file);
    }
    if (options.tls.certificate_file.empty() != options.tls.key_file.empty())
        throw Error(ErrorKind::Internal, "a client certificate needs both its file and its key");
    if (!options.tls.certificate_file.empty()) {
        context.use_certificate_chain_file(options.tls.certificate_file, ec);
        if (ec)
            throw Error(ErrorKind::Internal,
                        "cannot load the client certificate " + options.tls.certificate_file);
        // The key's content is never quoted, only its file name.
        context.use_private_key_file(options.tls.key_file, ssl::context::pem, ec);
        if (ec)
            throw Error(ErrorKind::Internal, "cannot load the client key " + options.tls.key_file);
    }
    return context;
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, std::string base_url,
                       HttpClientOptions options)
    : state_(std::make_shared<State>()) {
    state_->executor = std::move(executor);
    state_->options = options;
    const auto url = boost::urls::parse_uri(base_url);
    if (!url) throw Error(ErrorKind::Internal, "not a URL: the HTTP endpoint's address");
    const bool tls = url->scheme() == "https";
    if (url->scheme() != "http" && !tls)
        throw Error(ErrorKind::Internal, "only http:// and https:// endpoints are supported");
    state_->host = std::string(url->encoded_host());
    if (state_->host.size() > 2 && state_->host.front() == '[' && state_->host.back() == ']')
        state_->host = state_->host.substr(1, state_->host.size() - 2);
    if (state_->host.empty()) throw Error(ErrorKind::Internal, "the HTTP endpoint has no host");
    state_->port = url->has_port() ? std::string(url->port()) : tls ? "443" : "80";
    if (state_->port.empty() || state_->port.size() > 5 ||
        state_->port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(state_->port) > 65535)
        throw Error(ErrorKind::Internal, "the HTTP endpoint's port is not a port number");
    state_->base_path = std::string(url->encoded_path());
    state_->endpoint = state_->host + ":" + state_->port;
    if (tls) state_->tls_context = make_tls_context(options);
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
