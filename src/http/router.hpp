#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/route_limits.hpp"

namespace ecf::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// What a handler sees of one request.
struct RequestContext {
    // Not const: a handler that waits long may drop what it no longer needs of it (the execute
    // route keeps only the request line and keep-alive once its call is read).
    Request& request;
    std::string request_id;                          // also sent back as header X-Request-Id
    std::map<std::string, std::string> path_params;  // "{id}" in the pattern -> "42"
    std::map<std::string, std::string> query;        // decoded query parameters
    std::string user;        // set by a handler once the caller is known: the access log prints it
    JsonLimits json_limits;  // the route's: a handler parses its body within them
    std::string peer;        // the client's remote address (empty when unknown)
    // Added by a handler for the access log (name, value); never a secret.
    std::vector<std::pair<std::string, std::string>> log_fields;
};

// A route handler. It returns a response, or throws ecf::Error (mapped to a status and a
// `{"detail": ...}` body in src/http/error_response.cpp).
using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

// Maps method + path to a handler. Patterns are literal segments and `{name}` captures, such as
// "/v1/functions/{id}/execute". Routes are added at start-up, before the server runs; lookups
// are then read-only and safe from every I/O thread.
class Router {
  public:
    // `openapi` is the route's OpenAPI 3.1 Operation Object (summary, parameters, requestBody,
    // responses); /openapi.json publishes it. Left empty, a minimal one is made from the pattern.
    // `limits` bound what one request may make the route do (the body's size, its JSON).
    void add(boost::beast::http::verb method, std::string pattern, Handler handler,
             boost::json::object openapi = {}, RouteLimits limits = {});

    struct Match {
        const Handler* handler = nullptr;
        std::map<std::string, std::string> path_params;
        RouteLimits limits;
    };
    // nullopt: no route has this path (404). A Match with a null handler: the path exists but
    // not for this method (405).
    std::optional<Match> find(boost::beast::http::verb method, std::string_view path) const;

    // The limits of the route for method + path; the defaults (small body) when there is none.
    RouteLimits limits_of(boost::beast::http::verb method, std::string_view path) const;

    // The OpenAPI "paths" object of every route added so far.
    boost::json::object openapi_paths() const;

  private:
    struct Route {
        boost::beast::http::verb method;
        std::vector<std::string> segments;
        Handler handler;
        std::string pattern;
        boost::json::object openapi;
        RouteLimits limits;
    };
    std::vector<Route> routes_;
};

}  // namespace ecf::http
