#include "standalone/device_api.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"
#include "http/bounded_json.hpp"
#include "observability/log_text.hpp"

namespace ecf::standalone {

namespace beast_http = boost::beast::http;
namespace json = boost::json;
using documents::DocumentType;

namespace {

http::Response json_answer(beast_http::status status, const json::value& body,
                           const http::Request& request) {
    http::Response response{status, request.version()};
    response.set(beast_http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = json::serialize(body);
    response.prepare_payload();
    return response;
}

http::Response empty_answer(beast_http::status status, const http::Request& request) {
    http::Response response{status, request.version()};
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
}

[[noreturn]] void unprocessable(const std::string& message) {
    throw Error(ErrorKind::Unprocessable, message);
}

// The body as JSON within the route's limits (a body past them is refused before it is built).
json::value parse_body(const http::RequestContext& context) {
    auto body = http::parse_bounded_json(context.request.body(), context.json_limits);
    if (!body.limit_exceeded.empty()) unprocessable("JSON body has " + body.limit_exceeded);
    if (!body.ok) unprocessable("JSON decode error");
    return std::move(body.value);
}

std::int64_t parse_id(const http::RequestContext& context) {
    const auto it = context.path_params.find("id");
    const std::string text = it == context.path_params.end() ? "" : it->second;
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        unprocessable("id: Input should be a valid integer, unable to parse string as an integer");
    }
    return id;
}

// Python's str(float), which is how OpenNebula ends up holding the COGNIT frontend's floats.
std::string python_float(double value) {
    std::array<char, 64> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    std::string text(buffer.data(), ec == std::errc() ? end : buffer.data());
    if (text.find_first_of(".en") == std::string::npos) text += ".0";
    return text;
}

std::optional<double> number_of(const json::value& value) {
    if (value.is_int64()) return static_cast<double>(value.as_int64());
    if (value.is_uint64()) return static_cast<double>(value.as_uint64());
    if (value.is_double()) return value.as_double();
    if (value.is_string()) {
        const std::string text(value.as_string());
        double number = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
    }
    return std::nullopt;
}

std::optional<std::int64_t> integer_of(const json::value& value) {
    const auto number = number_of(value);
    if (!number || !std::isfinite(*number) || std::floor(*number) != *number ||
        std::fabs(*number) > 9.0e15) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(*number);
}

std::optional<bool> boolean_of(const json::value& value) {
    if (value.is_bool()) return value.as_bool();
    if (value.is_int64() && (value.as_int64() == 0 || value.as_int64() == 1)) {
        return value.as_int64() == 1;
    }
    if (value.is_string()) {
        std::string text(value.as_string());
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        for (const char* yes : {"true", "1", "yes", "on", "t", "y"}) {
            if (text == yes) return true;
        }
        for (const char* no : {"false", "0", "no", "off", "f", "n"}) {
            if (text == no) return false;
        }
    }
    return std::nullopt;
}

std::optional<std::pair<double, double>> parse_geolocation_text(std::string_view text) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    auto trim = [](std::string_view s) {
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
        return s;
    };
    const auto a = number_of(json::string(trim(text.substr(0, comma))));
    const auto b = number_of(json::string(trim(text.substr(comma + 1))));
    if (!a || !b || !std::isfinite(*a) || !std::isfinite(*b)) return std::nullopt;
    return std::pair{*a, *b};
}

// A stored GEOLOCATION: "lat,lon" as the COGNIT frontend writes it, or the older nested vector.
std::optional<std::pair<double, double>> stored_geolocation(const json::value& value) {
    if (value.is_string()) return parse_geolocation_text(value.as_string());
    if (value.is_object()) {
        const auto* lat = value.as_object().if_contains("LATITUDE");
        const auto* lon = value.as_object().if_contains("LONGITUDE");
        if (!lat || !lon) return std::nullopt;
        const auto a = number_of(*lat);
        const auto b = number_of(*lon);
        if (a && b) return std::pair{*a, *b};
    }
    return std::nullopt;
}

bool valid_flavour(std::string_view flavour) {
    // The flavour names a RabbitMQ queue: at most 255 bytes, and "amq." is the broker's own.
    return !flavour.empty() && flavour.size() <= 255 && !flavour.starts_with("amq.") &&
           std::none_of(flavour.begin(), flavour.end(), [](unsigned char c) { return c < 0x20; });
}

std::optional<std::string> basic_credentials(const http::Request& request) {
    const auto header = request[beast_http::field::authorization];
    if (header.size() < 6) return std::nullopt;
    std::string scheme(header.substr(0, 6));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (scheme != "basic ") return std::nullopt;
    std::string_view encoded(header.data() + 6, header.size() - 6);
    while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
    std::string decoded(encoded.size(), '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                          encoded.data(), encoded.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        return std::nullopt;
    }
    decoded.resize(length);
    return decoded;
}

}  // namespace

DeviceApi::DeviceApi(std::shared_ptr<SqliteDocumentStore> store,
                     std::shared_ptr<StandaloneDocumentSource> documents,
                     std::shared_ptr<auth::TokenAuthorizer> tokens,
                     std::shared_ptr<TokenIssuer> issuer, std::string public_key_hex,
                     const config::Config& config, std::shared_ptr<spdlog::logger> logger)
    : store_(std::move(store)),
      documents_(std::move(documents)),
      tokens_(std::move(tokens)),
      issuer_(std::move(issuer)),
      public_key_hex_(std::move(public_key_hex)),
      configured_address_("http://" +
                          (config.host == "0.0.0.0" || config.host == "::"
                               ? std::string("127.0.0.1")
                               : config.host) +
                          ":" + std::to_string(config.port)),
      cluster_id_(config.cluster_id),
      max_documents_per_user_(config.max_documents_per_user),
      flavours_(config.flavours),
      logger_(std::move(logger)) {}

void DeviceApi::add_routes(http::Router& router) {
    auto self = shared_from_this();
    // Each handler is a plain lambda returning the member coroutine, so no coroutine frame
    // refers to a lambda's captures; the Router keeps `self` alive for the server's lifetime.
    auto route = [&](beast_http::verb verb, std::string pattern,
                     Awaitable (DeviceApi::*member)(http::RequestContext&),
                     http::RouteLimits limits = {}) {
        router.add(
            verb, std::move(pattern),
            [self, member](http::RequestContext& context) { return ((*self).*member)(context); },
            {}, limits);
    };
    route(beast_http::verb::post, "/v1/authenticate", &DeviceApi::authenticate);
    route(beast_http::verb::get, "/v1/public_key", &DeviceApi::public_key);
    route(beast_http::verb::post, "/v1/app_requirements", &DeviceApi::create_requirement);
    route(beast_http::verb::get, "/v1/app_requirements/{id}", &DeviceApi::read_requirement);
    route(beast_http::verb::put, "/v1/app_requirements/{id}", &DeviceApi::update_requirement);
    route(beast_http::verb::delete_, "/v1/app_requirements/{id}", &DeviceApi::delete_requirement);
    route(beast_http::verb::get, "/v1/app_requirements/{id}/ec_fe",
          &DeviceApi::edge_cluster_frontends);
    // A function's code travels in the body: the large body limit, as for executions.
    route(beast_http::verb::post, "/v1/daas/upload", &DeviceApi::upload_function,
          http::large_payload_limits());
    route(beast_http::verb::post, "/v1/latency", &DeviceApi::latency);
}

boost::asio::awaitable<User> DeviceApi::caller(http::RequestContext& context) {
    const std::string token(context.request["token"]);
    if (token.empty()) throw Error(ErrorKind::MissingToken, "Missing token in header");
    const auto credentials = co_await tokens_->authorize(token);
    auto user = co_await documents_->authenticate(credentials, context.peer);
    context.user = user.name;
    co_return user;
}

documents::Document DeviceApi::requirement_of(const User& user,
                                              const http::RequestContext& context) {
    const auto id = parse_id(context);
    auto document = documents_->fetch_as(user, id);
    if (document.type != static_cast<int>(DocumentType::AppRequirement)) {
        // The COGNIT frontend's answer to a document of another TYPE.
        throw Error(ErrorKind::MethodNotAllowed,
                    "Resource " + std::to_string(id) + " is not of type APP_REQUIREMENT");
    }
    return document;
}

DeviceApi::Awaitable DeviceApi::authenticate(http::RequestContext& context) {
    const auto pair = basic_credentials(context.request);
    if (!pair) throw Error(ErrorKind::Unauthorized, "Not authenticated");
    const auto colon = pair->find(':');
    if (colon == std::string::npos) {
        throw Error(ErrorKind::Unauthorized, "Invalid authentication credentials");
    }
    const Credentials credentials{pair->substr(0, colon), pair->substr(colon + 1)};
    const auto user = co_await documents_->authenticate(credentials, context.peer);
    context.user = user.name;
    co_return json_answer(beast_http::status::created,
                          json::string(issuer_->issue(credentials.user, credentials.password)),
                          context.request);
}

DeviceApi::Awaitable DeviceApi::public_key(http::RequestContext& context) {
    co_return json_answer(beast_http::status::ok, json::string(public_key_hex_), context.request);
}

DeviceApi::Awaitable DeviceApi::create_requirement(http::RequestContext& context) {
    // As FastAPI does, the body is checked (422) before the token (400/401).
    const auto values = requirement_template(parse_body(context));
    check_flavour(values);
    const auto user = co_await caller(context);
    const auto id = create_owned(user, DocumentType::AppRequirement, "app_requirement", values);
    co_return json_answer(beast_http::status::ok, id, context.request);
}

DeviceApi::Awaitable DeviceApi::read_requirement(http::RequestContext& context) {
    const auto user = co_await caller(context);
    const auto document = requirement_of(user, context);
    co_return json_answer(beast_http::status::ok, requirement_response(document.template_values),
                          context.request);
}

DeviceApi::Awaitable DeviceApi::update_requirement(http::RequestContext& context) {
    const auto values = requirement_template(parse_body(context));
    check_flavour(values);
    parse_id(context);
    const auto user = co_await caller(context);
    const auto document = requirement_of(user, context);
    if (!store_->replace_template(document.id, values)) {
        throw Error(ErrorKind::NotFound, "[one.document.update] Error getting document [" +
                                             std::to_string(document.id) + "].");
    }
    co_return json_answer(beast_http::status::ok, nullptr, context.request);
}

DeviceApi::Awaitable DeviceApi::delete_requirement(http::RequestContext& context) {
    const auto user = co_await caller(context);
    const auto document = requirement_of(user, context);
    store_->remove(document.id);
    co_return empty_answer(beast_http::status::no_content, context.request);
}

DeviceApi::Awaitable DeviceApi::edge_cluster_frontends(http::RequestContext& context) {
    const auto user = co_await caller(context);
    const auto document = requirement_of(user, context);
    const auto* flavour = document.template_values.if_contains("FLAVOUR");
    // One cluster: this ECF. The COGNIT frontend appends "/<flavour>" to the address for its
    // per-flavour proxies; here one ECF serves every flavour at its root, so it does not.
    json::object cluster_template{{"EDGE_CLUSTER_FRONTEND", own_address(context)}};
    if (flavour && flavour->is_string()) cluster_template["FLAVOURS"] = flavour->as_string();
    json::array clusters;
    clusters.push_back(json::object{{"ID", cluster_id_},
                                    {"NAME", "standalone"},
                                    {"HOSTS", json::array{}},
                                    {"DATASTORES", json::array{}},
                                    {"VNETS", json::array{}},
                                    {"TEMPLATE", std::move(cluster_template)}});
    co_return json_answer(beast_http::status::ok, clusters, context.request);
}

DeviceApi::Awaitable DeviceApi::upload_function(http::RequestContext& context) {
    const auto values = function_template(parse_body(context));
    const auto user = co_await caller(context);
    const std::string hash(values.at("FC_HASH").as_string());
    const std::string code(values.at("FC").as_string());
    // The existing id only for the same FC_HASH and the same FC: the client computes FC_HASH
    // (of the bytecode, not of FC), so it cannot be checked, only never trusted alone.
    auto id = store_->find_function(user.uid, hash, code);
    if (!id) id = create_owned(user, DocumentType::Function, "function", values);
    co_return json_answer(beast_http::status::ok, *id, context.request);
}

DeviceApi::Awaitable DeviceApi::latency(http::RequestContext& context) {
    const auto report = latency_report(parse_body(context));
    const auto user = co_await caller(context);
    // Nothing to choose between: this ECF is the only cluster. Kept only in a debug line.
    if (logger_) {
        logger_->debug("latency measurements of {}: {}", observability::printable_utf8(user.name),
                       report);
    }
    co_return json_answer(beast_http::status::ok, nullptr, context.request);
}

std::string DeviceApi::latency_report(const json::value& body) {
    if (!body.is_object()) unprocessable("Input should be a valid dictionary");
    const auto& measurements = body.as_object();
    if (measurements.size() > kMaxLatencyEntries) {
        unprocessable("at most " + std::to_string(kMaxLatencyEntries) + " latency measurements");
    }
    for (const auto& [address, value] : measurements) {
        if (address.empty() || address.size() > kMaxLatencyKeyBytes) {
            unprocessable("a cluster address is 1 to " + std::to_string(kMaxLatencyKeyBytes) +
                          " bytes");
        }
        const bool finite_number = value.is_int64() || value.is_uint64() ||
                                   (value.is_double() && std::isfinite(value.as_double()));
        if (!finite_number) unprocessable("a latency measurement should be a valid number");
    }
    return observability::printable_utf8(json::serialize(body));
}

std::int64_t DeviceApi::create_owned(const User& user, DocumentType type, const char* name,
                                     const json::object& values) {
    const auto id =
        store_->create_within({user.uid, user.name}, max_documents_per_user_, type, name, values);
    if (!id) {
        throw Error(ErrorKind::Forbidden, "document quota reached: at most " +
                                              std::to_string(max_documents_per_user_) +
                                              " documents per user; delete some first");
    }
    return *id;
}

void DeviceApi::check_flavour(const json::object& values) const {
    const auto* flavour = values.if_contains("FLAVOUR");
    if (flavour && flavour->is_string() && !flavours_.allows(flavour->as_string())) {
        unprocessable("FLAVOUR: not one this cluster serves (configuration key flavours)");
    }
}

std::string DeviceApi::own_address(const http::RequestContext& context) const {
    // The address the device used to reach us is the one that works from where it stands.
    const auto host = context.request[beast_http::field::host];
    const bool usable =
        !host.empty() && host.size() <= 255 &&
        std::all_of(host.begin(), host.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
        });
    return usable ? "http://" + std::string(host) : configured_address_;
}

json::object DeviceApi::requirement_template(const json::value& body) {
    if (!body.is_object()) unprocessable("Input should be a valid dictionary or object");
    const auto& in = body.as_object();
    json::object out;
    auto field = [&](const char* name) -> const json::value* { return in.if_contains(name); };

    if (const auto* id = field("ID"); id && !id->is_null()) {
        if (!id->is_string()) unprocessable("ID: Input should be a valid string");
        out["ID"] = id->as_string();
    }
    bool confidential = false;
    if (const auto* v = field("IS_CONFIDENTIAL"); v && !v->is_null()) {
        const auto b = boolean_of(*v);
        if (!b) unprocessable("IS_CONFIDENTIAL: Input should be a valid boolean");
        confidential = *b;
    }
    out["IS_CONFIDENTIAL"] = confidential ? "True" : "False";
    if (const auto* v = field("PROVIDER"); v && !v->is_null()) {
        if (!v->is_array() || std::any_of(v->as_array().begin(), v->as_array().end(),
                                          [](const json::value& p) { return !p.is_string(); })) {
            unprocessable("PROVIDER: Input should be a valid list of strings");
        }
        out["PROVIDER"] = json::serialize(*v);
    }
    std::string flavour = "Nature";
    if (const auto* v = field("FLAVOUR")) {
        if (!v->is_string()) unprocessable("FLAVOUR: Input should be a valid string");
        flavour = v->as_string();
    }
    if (!valid_flavour(flavour)) {
        unprocessable("FLAVOUR: a queue name of 1 to 255 bytes, not starting with \"amq.\"");
    }
    out["FLAVOUR"] = flavour;
    auto integer = [&](const char* name, std::int64_t fallback) {
        const auto* v = field(name);
        if (v && v->is_null()) return;
        std::int64_t value = fallback;
        if (v) {
            const auto parsed = integer_of(*v);
            if (!parsed) unprocessable(std::string(name) + ": Input should be a valid integer");
            value = *parsed;
        }
        out[name] = std::to_string(value);
    };
    integer("MAX_LATENCY", 10);
    if (const auto* v = field("MAX_FUNCTION_EXECUTION_TIME"); !v || !v->is_null()) {
        double seconds = 1.0;
        if (v) {
            const auto parsed = number_of(*v);
            if (!parsed || !std::isfinite(*parsed)) {
                unprocessable("MAX_FUNCTION_EXECUTION_TIME: Input should be a valid number");
            }
            seconds = *parsed;
        }
        out["MAX_FUNCTION_EXECUTION_TIME"] = python_float(seconds);
    }
    integer("MIN_ENERGY_RENEWABLE_USAGE", 80);
    if (const auto* v = field("GEOLOCATION"); v && !v->is_null()) {
        std::optional<std::pair<double, double>> where;
        if (v->is_string()) {
            where = parse_geolocation_text(v->as_string());
        } else if (v->is_object()) {
            const auto* lat = v->as_object().if_contains("latitude");
            const auto* lon = v->as_object().if_contains("longitude");
            if (lat && lon) {
                const auto a = number_of(*lat);
                const auto b = number_of(*lon);
                if (a && b && std::isfinite(*a) && std::isfinite(*b)) where = std::pair{*a, *b};
            }
        }
        if (!where) {
            unprocessable(
                "GEOLOCATION: {\"latitude\": number, \"longitude\": number} or \"lat,lon\"");
        }
        out["GEOLOCATION"] = python_float(where->first) + "," + python_float(where->second);
    }
    return out;
}

json::object DeviceApi::requirement_response(const json::object& values) {
    auto text = [&](const char* name) -> std::optional<std::string> {
        const auto* v = values.if_contains(name);
        if (!v || !v->is_string()) return std::nullopt;
        return std::string(v->as_string());
    };
    json::object out;
    const auto id = text("ID");
    out["ID"] = id && *id != "None" ? json::value(*id) : json::value(nullptr);
    const auto* confidential = values.if_contains("IS_CONFIDENTIAL");
    out["IS_CONFIDENTIAL"] = confidential ? boolean_of(*confidential).value_or(false) : false;
    out["PROVIDER"] = nullptr;
    if (const auto providers = text("PROVIDER")) {
        boost::system::error_code ec;
        auto parsed = json::parse(*providers, ec);
        if (!ec && parsed.is_array()) out["PROVIDER"] = std::move(parsed);
    }
    out["FLAVOUR"] = text("FLAVOUR").value_or("Nature");
    auto integer = [&](const char* name, std::int64_t fallback) -> json::value {
        const auto* v = values.if_contains(name);
        if (!v) return fallback;
        const auto parsed = integer_of(*v);
        return parsed ? json::value(*parsed) : json::value(nullptr);
    };
    out["MAX_LATENCY"] = integer("MAX_LATENCY", 10);
    if (const auto* v = values.if_contains("MAX_FUNCTION_EXECUTION_TIME")) {
        const auto parsed = number_of(*v);
        out["MAX_FUNCTION_EXECUTION_TIME"] = parsed ? json::value(*parsed) : json::value(nullptr);
    } else {
        out["MAX_FUNCTION_EXECUTION_TIME"] = 1.0;
    }
    out["MIN_ENERGY_RENEWABLE_USAGE"] = integer("MIN_ENERGY_RENEWABLE_USAGE", 80);
    out["GEOLOCATION"] = nullptr;
    if (const auto* v = values.if_contains("GEOLOCATION")) {
        if (const auto where = stored_geolocation(*v)) {
            out["GEOLOCATION"] =
                json::object{{"latitude", where->first}, {"longitude", where->second}};
        }
    }
    return out;
}

json::object DeviceApi::function_template(const json::value& body) {
    if (!body.is_object()) unprocessable("Input should be a valid dictionary or object");
    const auto& in = body.as_object();
    json::object out;
    for (const char* name : {"LANG", "FC", "FC_HASH"}) {
        const auto* v = in.if_contains(name);
        if (!v) unprocessable(std::string(name) + ": Field required");
        if (!v->is_string()) unprocessable(std::string(name) + ": Input should be a valid string");
        out[name] = v->as_string();
    }
    const auto& lang = out["LANG"].as_string();
    if (lang != "PY" && lang != "C") unprocessable("LANG: Input should be 'PY' or 'C'");
    if (out["FC_HASH"].as_string().empty()) unprocessable("FC_HASH: must not be empty");
    return out;
}

}  // namespace ecf::standalone
