#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace ecf {

// What went wrong, in the terms a client can act on. Every failure that reaches a client is an
// ecf::Error of one of these kinds; src/http/error_response.cpp is the one place that turns a
// kind into an HTTP status, so the mapping of contract §1 lives in exactly one table.
enum class ErrorKind {
    MissingToken,      // 400: no `token` header
    BadRequest,        // 400: malformed HTTP
    Unauthorized,      // 401: token does not verify / authorize, or OpenNebula authentication
    Forbidden,         // 403: OpenNebula authorization
    NotFound,          // 404: no such document, wrong document TYPE, unknown route
    MethodNotAllowed,  // 405
    PayloadTooLarge,   // 413
    HeaderTooLarge,    // 431: a request header past the server's limit
    Unprocessable,     // 422: malformed id, query or body
    TooManyRequests,   // 429: a per-user or per-address limit; carries Retry-After
    Internal,          // 500: any other failure (OpenNebula's other errors included)
    NotImplemented,    // 501: a transfer coding we do not implement (RFC 9112 §6.1)
    BadGateway,        // 502: the Serverless Runtime answered what no client can be given
    Unavailable,       // 503: broker unreachable, shutting down, too many waiting executions
    NoRuntime,         // 503: no Serverless Runtime consumes the flavour; carries Retry-After
    Timeout,           // 504: execution deadline passed
};

// An error with a kind and a message meant for the client (`{"detail": message}`).
// The message must never hold a token or a password.
class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, std::string message)
        : std::runtime_error(std::move(message)), kind_(kind) {}
    // With a hint for the client of when to try again (the `Retry-After` header of 429 and 503).
    Error(ErrorKind kind, std::string message, std::chrono::seconds retry_after)
        : std::runtime_error(std::move(message)), kind_(kind), retry_after_(retry_after) {}

    ErrorKind kind() const noexcept { return kind_; }
    std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }

  private:
    ErrorKind kind_;
    std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace ecf
