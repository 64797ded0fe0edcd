#include "http/api_routes.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <charconv>

#include "async_execution/result_peers.hpp"
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

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// The preferences of RFC 7240 the API honours, from every `Prefer` header: respond-async and
// wait=<seconds>. Others, and malformed values, are ignored, as the RFC asks.
struct Preferences {
    bool respond_async = false;
    std::optional<std::chrono::seconds> wait;
};

Preferences preferences_of(const Request& request) {
    Preferences found;
    const auto [first, last] = request.equal_range("Prefer");
    for (auto field = first; field != last; ++field) {
        std::string_view rest = field->value();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            item = trim(item.substr(0, item.find(';')));  // its parameters: none is used
            const auto equals = item.find('=');
            const auto name = trim(item.substr(0, equals));
            std::string_view value = equals == std::string_view::npos
                                         ? std::string_view{}
                                         : trim(item.substr(equals + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            if (equals_ignoring_case(name, "respond-async")) {
                found.respond_async = true;
            } else if (equals_ignoring_case(name, "wait")) {
                std::uint32_t seconds = 0;
                auto [end, ec] =
                    std::from_chars(value.data(), value.data() + value.size(), seconds);
                if (ec == std::errc{} && end == value.data() + value.size() && !value.empty()) {
                    found.wait = std::chrono::seconds(seconds);
                }
            }
        }
    }
    return found;
}

// A request id as this service makes them: a lowercase uuid4 text.
bool is_execution_id(std::string_view id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
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
                                    "502" : {"description" : "The Serverless Runtime answered no HTTP status"},
                                            "503"
          : {"description" : "Broker unreachable, or too many executions waiting"},
            "504" : {
          "description" : "No result before the deadline"
      }
  }
  })JSON";

const char* const kExecutionResultOperation = R"JSON({
  "summary": "Result of an asynchronous execution",
  "description": "The state of an execution answered 202 (Prefer: respond-async), and its result once done, for the user who started it. Results are kept for async_result_ttl.",
  "parameters": [
    {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"},
     "description": "The execution id (exec_id.faas_task_uuid of the 202)"},
    {"name": "wait", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0},
     "description": "Long poll: wait up to this many seconds (bounded by async_max_wait) for the execution to finish"},
    {"name": "token", "in": "header", "required": true, "schema": {"type": "string"}}
  ],
  "responses": {
    "200": {"description": "{status: WORKING|READY|FAILED, res, exec_id: {faas_task_uuid}}"},
    "400": {"description": "Missing token in header"},
    "401": {"description": "Token does not verify or is not authorized"},
    "404": {"description": "No such execution for this user (unknown, expired or another user's)"},
    "422": {"description": "Malformed id or wait"},
    "429": {"description": "Too many long polls at once"},
    "503": {"description": "Asynchronous executions are not available"}
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

// The execution a request asks for, checked (422 with every problem found, as FastAPI
// answers). A plain function: its work lives on the stack, not in the frame of a route that may
// wait long.
execution::ExecutionCall execution_call_of(RequestContext& context,
                                           const AsyncApiSettings& async_settings) {
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
    // Without `Prefer: respond-async` (and with the default async_mode), every request is
    // answered as contract §1 says, mode=async included.
    const auto preferences = preferences_of(context.request);
    call.respond_async =
        preferences.respond_async || (call.mode == "async" && async_settings.mode_async_accepted);
    if (call.respond_async && preferences.wait) {
        call.prefer_wait =
            std::min<std::chrono::milliseconds>(*preferences.wait, async_settings.max_wait);
    }
    return call;
}

// Once its call is read, a sync execution may wait long, and thousands may wait at once: what
// its request held that neither the answer nor the access log uses goes (the token, the body,
// the other header fields, the parameters), and nothing later in the request's life can log
// the token by mistake. The request line stays, and whether the connection stays open.
void keep_only_what_the_answer_needs(RequestContext& context) {
    auto& request = context.request;
    const bool keep_alive = request.keep_alive();
    request.clear();  // every header field; the method, target and version are not fields
    request.keep_alive(keep_alive);
    std::string().swap(request.body());  // assigning "" would keep its buffer
    context.path_params.clear();
    context.query.clear();
}

Response execution_response(const execution::ExecutionOutcome& outcome, const Request& request) {
    auto response =
        json_response(static_cast<beast_http::status>(outcome.status), outcome.body, request);
    for (const auto& [name, value] : outcome.headers) response.set(name, value);
    return response;
}

}  // namespace

void add_api_routes(Router& router, execution::ExecutionService& executions,
                    auth::TokenAuthorizer& authorizer,
                    std::shared_ptr<async_execution::AsyncResultStore> store,
                    std::shared_ptr<const AsyncApiSettings> async_settings,
                    std::shared_ptr<async_execution::ResultPeers> peers) {
    if (!async_settings) async_settings = std::make_shared<AsyncApiSettings>();
    router.add(
        beast_http::verb::post, "/v1/functions/{id}/execute",
        [&executions, async_settings](RequestContext& context) -> asio::awaitable<Response> {
            auto call = execution_call_of(context, *async_settings);
            keep_only_what_the_answer_needs(context);
            const auto function_id = call.function_id;
            const auto app_req_id = call.app_req_id;

            // The access log gets what is known of the execution, however it ends.
            execution::ExecutionTrace trace;
            const auto note_for_the_log = [&] {
                context.user = trace.user;
                context.log_fields = {{"function", std::to_string(function_id)},
                                      {"app_requirement", std::to_string(app_req_id)}};
                if (!trace.flavour.empty()) {
                    context.log_fields.emplace_back("flavour", trace.flavour);
                    context.log_fields.emplace_back("execution_id", trace.execution_id);
                    context.log_fields.emplace_back(
                        "queue_ms", std::to_string(trace.queue_duration.count() / 1000));
                }
            };
            try {
                const auto outcome = co_await executions.execute(std::move(call), trace);
                note_for_the_log();
                co_return execution_response(outcome, context.request);
            } catch (...) {
                note_for_the_log();
                throw;
            }
        },
        operation(kExecuteOperation), execution_limits());

    router.add(
        beast_http::verb::get, "/v1/executions/{id}",
        [&authorizer, store, async_settings,
         peers](RequestContext& context) -> asio::awaitable<Response> {
            ValidationProblems problems;
            const std::string id = context.path_params["id"];
            if (!is_execution_id(id)) {
                problems.add("uuid_parsing", "path", "id",
                             "Input should be an execution id (a lowercase UUID)",
                             json::string(id));
            }
            std::chrono::milliseconds wait{0};
            if (auto w = context.query.find("wait"); w != context.query.end()) {
                auto seconds = parse_integer(w->second);
                if (!seconds || *seconds < 0) {
                    problems.add("int_parsing", "query", "wait",
                                 "Input should be a whole number of seconds, 0 or more",
                                 json::string(w->second));
                } else {
                    // Bounded: a long poll holds a connection.
                    wait = std::min<std::chrono::milliseconds>(
                        std::chrono::seconds(std::min<std::int64_t>(*seconds, 86'400)),
                        async_settings->max_wait);
                }
            }
            problems.throw_if_any();
            const auth::RequestFacts facts{.operation = "execution_result"};
            const auto authorization =
                co_await authorizer.authorize_request(token_of(context.request), facts);
            const Credentials& credentials = authorization.credentials;
            context.user = credentials.user;
            context.log_fields = {{"execution_id", id}};
            if (!store) {
                throw Error(ErrorKind::Unavailable, "asynchronous executions are not available");
            }
            const auto owner = async_execution::owner_digest(credentials.user);
            // Kept here, or by the instance that accepted it (its tag is in the id).
            const auto view =
                co_await async_execution::find_result(*store, peers.get(), id, owner, wait);
            // Unknown, expired and another user's: the same answer.
            if (!view) throw Error(ErrorKind::NotFound, "Execution not found");
            co_return json_response(beast_http::status::ok, execution::async_response(id, *view),
                                    context.request);
        },
        operation(kExecutionResultOperation), long_poll_limits());

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
            const auto authorization =
                co_await authorizer.authorize_request(token_of(context.request), facts);
            context.user = authorization.credentials.user;
            co_return json_response(beast_http::status::ok, nullptr, context.request);
        },
        operation(kMetricsOperation));
}

}  // namespace ecf::http
