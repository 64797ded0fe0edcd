#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>
#include <exception>

#include "core/error.hpp"
#include "http/router.hpp"

namespace ecf::http {

// The one place that decides which HTTP status an ErrorKind becomes (contract §1).
boost::beast::http::status status_of(ErrorKind kind) noexcept;

// A JSON response with the request's HTTP version and keep-alive choice.
Response json_response(boost::beast::http::status status, const boost::json::value& body,
                       const Request& request);

// The `{"detail": ...}` response for a failure thrown by a handler. An ecf::Error keeps its
// message; anything else becomes a 500 whose detail says nothing about the inside.
Response error_response(const std::exception_ptr& failure, const Request& request);
Response error_response(const Error& error, const Request& request);

}  // namespace ecf::http
