#include "http/metrics_route.hpp"

namespace ecf::http {

namespace beast_http = boost::beast::http;

void add_metrics_route(Router& router,
                       std::shared_ptr<const observability::ServiceMetrics> metrics) {
    router.add(beast_http::verb::get, "/metrics",
               [metrics](RequestContext& context) -> boost::asio::awaitable<Response> {
                   Response response{beast_http::status::ok, context.request.version()};
                   response.set(beast_http::field::content_type, "text/plain; version=0.0.4");
                   response.keep_alive(context.request.keep_alive());
                   response.body() = metrics->exposition();
                   response.prepare_payload();
                   co_return response;
               },
               {{"summary", "Prometheus metrics of the API"},
                {"responses", {{"200", {{"description", "Text exposition format 0.0.4"}}}}}});
}

}  // namespace ecf::http
