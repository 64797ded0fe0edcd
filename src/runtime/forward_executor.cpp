#include "runtime/forward_executor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "core/error.hpp"
#include "runtime/exec_response.hpp"

namespace ecf::runtime {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kExecuteSyncPath = "/v1/faas/execute-sync";

struct ApiAnswer {
    unsigned status = 0;
    std::string body;
};

asio::awaitable<ApiAnswer> post_json(std::string host, std::string port, std::string target,
                                     std::string body, std::chrono::milliseconds time_limit,
                                     std::size_t max_body_bytes) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    beast::tcp_stream stream(executor);
    const auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
    stream.expires_after(time_limit);
    co_await stream.async_connect(endpoints, asio::use_awaitable);

    http::request<http::string_body> request{http::verb::post, target, 11};
    request.set(http::field::host, host + ":" + port);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    co_await http::async_write(stream, request, asio::use_awaitable);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);

    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    auto response = parser.release();
    co_return ApiAnswer{response.result_int(), std::move(response.body())};
}

broker::ExecutionResult api_error(int code, std::string message) {
    spdlog::warn("serverless runtime API: {}", message);
    return {code, boost::json::string(message)};
}

}  // namespace

ForwardExecutor::ForwardExecutor(const std::string& base_url, std::chrono::milliseconds time_limit,
                                 std::size_t max_body_bytes)
    : time_limit_(time_limit), max_body_bytes_(max_body_bytes) {
    const auto url = boost::urls::parse_uri(base_url);
    if (!url || url->scheme() != "http" || !url->has_authority() || url->host().empty()) {
        throw Error(ErrorKind::Unprocessable, "--forward needs an http:// URL, got " + base_url);
    }
    host_ = url->host();
    port_ = url->has_port() ? std::string(url->port()) : "80";
    std::string path = url->path();
    while (!path.empty() && path.back() == '/') path.pop_back();
    target_ = path + std::string(kExecuteSyncPath);
}

broker::ExecutionResult ForwardExecutor::execute(const boost::json::value& payload) {
    asio::io_context io;
    auto answer = asio::co_spawn(io,
                                 post_json(host_, port_, target_, boost::json::serialize(payload),
                                           time_limit_, max_body_bytes_),
                                 asio::use_future);
    // The stream's own expiry covers connect, write and read; this also bounds the resolver.
    io.run_for(time_limit_ + std::chrono::milliseconds(100));
    if (answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        return api_error(504, fmt::format("serverless runtime API did not answer within {:g} s",
                                          time_limit_.count() / 1000.0));
    }
    ApiAnswer api;
    try {
        api = answer.get();
    } catch (const boost::system::system_error& e) {
        if (e.code() == beast::error::timeout) {
            return api_error(504, fmt::format("serverless runtime API did not answer within {:g} s",
                                              time_limit_.count() / 1000.0));
        }
        if (e.code() == http::error::body_limit) {
            return api_error(500, fmt::format("serverless runtime API answer exceeds {} bytes",
                                              max_body_bytes_));
        }
        return api_error(500, "serverless runtime API unreachable: " + e.code().message());
    } catch (const std::exception& e) {
        return api_error(500, std::string("serverless runtime API unreachable: ") + e.what());
    }

    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(api.body, ec);
    if (ec) {
        return api_error(500, fmt::format("serverless runtime API answered {} with a body that is "
                                          "not JSON",
                                          api.status));
    }
    if (api.status == 200) {
        auto response = as_exec_response(body);
        if (!response) {
            return api_error(500, "serverless runtime API answered 200 without an ExecResponse");
        }
        return {200, std::move(*response)};
    }
    return {static_cast<int>(api.status), std::move(body)};
}

}  // namespace ecf::runtime
