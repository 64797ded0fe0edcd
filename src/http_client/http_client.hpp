#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "http_client/tls_files.hpp"

namespace ecf::http_client {

// What the client may take from the peer and how long it may wait for it.
struct HttpClientOptions {
    // One deadline for the whole call: resolve, connect, write and read together.
    std::chrono::milliseconds timeout{10'000};
    // Larger responses (headers + body) fail with ErrorKind::Internal instead of growing memory.
    std::size_t max_response_bytes = 4 * 1024 * 1024;
    // Idle keep-alive connections kept for reuse; beyond this they are closed.
    std::size_t max_idle_connections = 8;
    // https:// only: whom to trust, and the client certificate if any.
    TlsFiles tls{};
};

struct HttpResponse {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

// An HTTP/1.1 client for one endpoint (scheme http or https, host, port), e.g. OpenNebula's
// XML-RPC URL or the COGNIT frontend. Every call runs on the caller's coroutine and never blocks
// its thread; idle connections are reused (bounded pool). Safe to share between I/O threads.
// Failures (unreachable, deadline passed, certificate refused, oversized or malformed answer,
// call cancelled) throw ecf::Error(Internal) with a message naming the endpoint, never the
// request body.
class HttpClient {
  public:
    // `base_url`: "http[s]://host[:port][/path]". Throws ecf::Error(Internal) on a URL it cannot
    // use, or on TLS files it cannot load.
    HttpClient(boost::asio::any_io_executor executor, std::string base_url,
               HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // `target` empty means the base URL's own path (or "/"); otherwise it is appended to the
    // base URL's path.
    boost::asio::awaitable<HttpResponse> get(std::string target);
    boost::asio::awaitable<HttpResponse> post(std::string target, std::string content_type,
                                              std::string body);

    const std::string& endpoint() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace ecf::http_client
