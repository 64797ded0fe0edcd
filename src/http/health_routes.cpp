#include "http/health_routes.hpp"

#include <string>

#include "core/error.hpp"
#include "http/error_response.hpp"

namespace ecf::http {

namespace beast_http = boost::beast::http;

void add_health_routes(Router& router, ReadinessChecks checks) {
    router.add(beast_http::verb::get, "/healthz",
               [](RequestContext& context) -> boost::asio::awaitable<Response> {
                   co_return json_response(beast_http::status::ok,
                                           boost::json::object{{"status", "ok"}}, context.request);
               },
               {{"summary", "Liveness: the process serves"},
                {"responses", {{"200", {{"description", "{\"status\": \"ok\"}"}}}}}});
    router.add(
        beast_http::verb::get, "/readyz",
        [checks = std::move(checks)](RequestContext& context) -> boost::asio::awaitable<Response> {
            std::string missing;
            auto add = [&missing](const char* part) {
                missing += missing.empty() ? "" : ", ";
                missing += part;
            };
            if (!checks.root_key_loaded()) add("root key not loaded");
            if (!checks.broker_connected()) add("broker not connected");
            if (checks.draining()) add("draining");
            if (!missing.empty()) throw Error(ErrorKind::Unavailable, "Not ready: " + missing);
            co_return json_response(beast_http::status::ok,
                                    boost::json::object{{"status", "ready"}}, context.request);
        },
        {{"summary", "Readiness: root key loaded, broker connected, not draining"},
         {"responses",
          {{"200", {{"description", "{\"status\": \"ready\"}"}}},
           {"503", {{"description", "Not ready; the detail names the missing part"}}}}}});
}

}  // namespace ecf::http
