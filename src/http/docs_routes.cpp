#include "http/docs_routes.hpp"

#include <boost/json/serialize.hpp>

#include "http/docs_page.hpp"
#include "http/error_response.hpp"

namespace ecf::http {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;

namespace {

Response text_response(const Request& request, std::string_view content_type,
                       std::string_view body) {
    Response response{beast_http::status::ok, request.version()};
    response.set(beast_http::field::content_type, content_type);
    response.keep_alive(request.keep_alive());
    response.body() = std::string(body);
    response.prepare_payload();
    return response;
}

boost::json::object documented(std::string_view summary) {
    return {{"summary", summary}, {"responses", {{"200", {{"description", "Success"}}}}}};
}

}  // namespace

void add_docs_routes(Router& router, ApiInfo info) {
    router.add(
        beast_http::verb::get, "/",
        [](RequestContext& context) -> asio::awaitable<Response> {
            // Starlette's RedirectResponse, as the original answers: 307.
            Response response{beast_http::status::temporary_redirect, context.request.version()};
            response.set(beast_http::field::location, "/docs");
            response.keep_alive(context.request.keep_alive());
            response.prepare_payload();
            co_return response;
        },
        {{"summary", "Redirect to /docs"},
         {"responses", {{"307", {{"description", "Redirect to /docs"}}}}}});

    router.add(
        beast_http::verb::get, "/docs",
        [](RequestContext& context) -> asio::awaitable<Response> {
            co_return text_response(context.request, "text/html; charset=utf-8", docs_page());
        },
        documented("Interactive API page"));

    router.add(
        beast_http::verb::get, "/openapi.json",
        [&router, info = std::move(info)](RequestContext& context) -> asio::awaitable<Response> {
            boost::json::object document{
                {"openapi", "3.1.0"},
                {"info",
                 {{"title", info.title},
                  {"version", info.version},
                  {"description",
                   "Runs functions of COGNIT devices on the Serverless Runtimes of this edge "
                   "cluster."}}},
            };
            document["paths"] = router.openapi_paths();
            co_return text_response(context.request, "application/json",
                                    boost::json::serialize(document));
        },
        documented("This OpenAPI document"));
}

}  // namespace ecf::http
