#include "http/api_routes.hpp"

#include <boost/json/parse.hpp>
#include <charconv>

#include "http/bounded_json.hpp"
#include "http/error_response.hpp"
#include "http/validation_error.hpp"

namespace ecf::http {

namespace asio = boost::asio;
namespace json = boost::json;
namespace beast_http = boost::beast::http;

namespace {

// The original validates every parameter first (FastAPI answers 422 listing them all), and only
// then looks at the token: a malformed request without a token is a 422, not a 400.
std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> integer_parameter(ValidationProblems& problems,
                                              const std::map<std::string, std::string>& values,
                                              std::string_view where, const std::string& name) {
    auto it = values.find(name);
    if (it == values.end()) {
        problems.add("missing", where, name, "Field required", nullptr);
        return std::nullopt;
    }
    auto value = parse_integer(it->second);
    if (!value) {
        problems.add("int_parsing", where, name,
                     "Input should be a valid integer, unable to parse string as an integer",
                     json::string(it->second));
    }
    return value;
}

// The request body as JSON, or a problem when it is missing, not JSON, or past the route's
// JSON limits.
std::optional<json::value> json_body(ValidationProblems& problems, const RequestContext& context) {
    const auto& text = context.request.body();
    if (text.empty()) {
        problems.add_body("missing", "Field required", {}, nullptr);
        return std::nullopt;
    }
    auto body = parse_bounded_json(text, context.json_limits);
    if (!body.limit_exceeded.empty()) {
        problems.add_body("json_limit", "JSON body has " + body.limit_exceeded, {}, nullptr);
        return std::nullopt;
    }
    if (!body.ok) {
        problems.add_body("json_invalid", "JSON decode error", {0}, json::object{});
        return std::nullopt;
    }
    return std::move(body.value);
}

std::string_view token_of(const Request& request) {
    auto it = request.find("token");
    if (it == request.end()) throw Error(ErrorKind::MissingToken, "Missing token in header");
    return it->value();
}

json::object operation(std::string_view text) {
    return json::parse(text).as_object();
}

const char* const kExecuteOperation = R"JSON({
  "summary": "Execute a function on a Serverless Runtime",
  "description": "Runs the FUNCTION document {id} on a Serverless Runtime of the flavour named by the APP_REQUIREMENT document app_req_id, and answers the runtime's result.",
  "parameters": [
    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"},
     "description": "OpenNebula document id of the FUNCTION"},
    {"name": "app_req_id", "in": "query", "required": true, "schema": {"type": "integer"},
     "description": "OpenNebula document id of the APP_REQUIREMENT"},
    {"name": "mode", "in": "query", "required": true,
     "schema": {"type": "string", "enum": ["sync", "async"]}},
    {"name": "token", "in": "header", "required": true, "schema": {"type": "string"},
     "description": "Biscuit token issued by the COGNIT frontend (base64)"
}
  ],
  "requestBody": {"required": true, "content": {"application/json": {"schema":
    {"type": "array", "items": {"type": "string"},
     "description": "The function's serialized parameters"}}}},
  "responses": {
      "200" : {
          "description" : "The runtime's result",
          "content" : {
              "application/json" : {
                  "schema" : {
                      "type" : "object",
                      "properties" : {
                          "ret_code" : {"type" : "integer"},
                          "res" : {"type" : [ "string", "null" ]},
                          "err" : {"type" : [ "string", "null" ]}
                      }
                  }
              }
          }
      },
              "400" : {"description" : "Missing token in header"},
                      "401"
          : {
              "description" :
                  "Token does not verify or is not authorized, or OpenNebula authentication failed"
          },
            "403" : {"description" : "OpenNebula does not allow the user to read a document"},
                    "404" : {"description" : "No such document, or a document of the wrong TYPE"},
                            "422" : {"description" : "Malformed id, query or body"},
                                    "500" : {"description" : "Any other OpenNebula failure"},
                                            "503"
          : {"description" : "Broker unreachable, or too many executions waiting"},
            "504" : {
          "description" : "No result before the deadline"
      }
  }
  })JSON";

const char* const kMetricsOperation = R"JSON({
  "summary": "Upload device metrics",
  "description": "Authorizes the token and accepts the metrics (they are not used).",
  "parameters": [
    {"name": "token", "in": "header", "required": true, "schema": {"type": "string"}}
  ],
  "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
  "responses": {
    "200": {"description": "Accepted"},
    "400": {"description": "Missing token in header"},
    "401": {"description": "Token does not verify or is not authorized"},
    "422": {"description": "Body is not a JSON object"}
  }
})JSON";

}  // namespace

void add_api_routes(Router& router, execution::ExecutionService& executions,
                    auth::TokenAuthorizer& authorizer) {
    router.add(
        beast_http::verb::post, "/v1/functions/{id}/execute",
        [&executions](RequestContext& context) -> asio::awaitable<Response> {
            ValidationProblems problems;
            execution::ExecutionCall call;
            auto id = integer_parameter(problems, context.path_params, "path", "id");
            auto app_req_id = integer_parameter(problems, context.query, "query", "app_req_id");
            auto mode = context.query.find("mode");
            if (mode == context.query.end()) {
                problems.add("missing", "query", "mode", "Field required", nullptr);
            } else if (mode->second != "sync" && mode->second != "async") {
                problems.add("enum", "query", "mode", "Input should be 'sync' or 'async'",
                             json::string(mode->second));
            } else {
                call.mode = mode->second;
            }
            if (auto body = json_body(problems, context)) {
                if (!body->is_array()) {
                    problems.add_body("list_type", "Input should be a valid list", {}, *body);
                } else {
                    const auto& items = body->as_array();
                    // Counts every problem but builds at most a few (ValidationProblems).
                    for (std::size_t i = 0; i < items.size(); ++i) {
                        if (!items[i].is_string()) {
                            problems.add_body("string_type", "Input should be a valid string", {i},
                                              items[i]);
                        }
                    }
                    call.params = std::move(body->as_array());
                }
            }
            problems.throw_if_any();
            call.function_id = *id;
            call.app_req_id = *app_req_id;
            call.token = std::string(token_of(context.request));

            // The access log gets what is known of the execution, however it ends.
            execution::ExecutionTrace trace;
            const auto note_for_the_log = [&] {
                context.user = trace.user;
                context.log_fields = {{"function", std::to_string(call.function_id)},
                                      {"app_requirement", std::to_string(call.app_req_id)}};
                if (!trace.flavour.empty()) {
                    context.log_fields.emplace_back("flavour", trace.flavour);
                    context.log_fields.emplace_back("execution_id", trace.execution_id);
                    context.log_fields.emplace_back(
                        "queue_ms", std::to_string(trace.queue_duration.count() / 1000));
                }
            };
            try {
                auto outcome = co_await executions.execute(call, trace);
                note_for_the_log();
                co_return json_response(static_cast<beast_http::status>(outcome.status),
                                        outcome.body, context.request);
            } catch (...) {
                note_for_the_log();
                throw;
            }
        },
        operation(kExecuteOperation), large_payload_limits());

    router.add(
        beast_http::verb::post, "/v1/device_metrics",
        [&authorizer](RequestContext& context) -> asio::awaitable<Response> {
            ValidationProblems problems;
            if (auto body = json_body(problems, context); body && !body->is_object()) {
                problems.add_body("dict_type", "Input should be a valid dictionary", {}, *body);
            }
            problems.throw_if_any();
            // The token is told what it is used for, so that a narrowed one can refuse it. Named,
            // not a temporary of the co_await expression: GCC 12 ends such temporaries early.
            const auth::RequestFacts facts{.operation = "device_metrics"};
            const auto credentials =
                co_await authorizer.authorize_request(token_of(context.request), facts);
            context.user = credentials.user;
            co_return json_response(beast_http::status::ok, nullptr, context.request);
        },
        operation(kMetricsOperation));
}

}  // namespace ecf::http
