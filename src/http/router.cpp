#include "http/router.hpp"

#include <boost/json/array.hpp>

namespace ecf::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 0;
    if (!path.empty() && path.front() == '/') start = 1;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        segments.emplace_back(path.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return segments;
}

bool is_capture(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Literal segments equal, captures take any non-empty segment.
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::map<std::string, std::string>* captures) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_capture(pattern[i])) {
            if (path[i].empty()) return false;
            if (captures) (*captures)[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

std::string lower_method(boost::beast::http::verb method) {
    std::string name(boost::beast::http::to_string(method));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
}

boost::json::object default_operation(const std::string& pattern,
                                      const std::vector<std::string>& segments) {
    boost::json::array parameters;
    for (const auto& segment : segments) {
        if (!is_capture(segment)) continue;
        parameters.push_back({{"name", segment.substr(1, segment.size() - 2)},
                              {"in", "path"},
                              {"required", true},
                              {"schema", {{"type", "string"}}}});
    }
    boost::json::object operation{{"summary", pattern},
                                  {"responses", {{"200", {{"description", "Success"}}}}}};
    if (!parameters.empty()) operation["parameters"] = std::move(parameters);
    return operation;
}

}  // namespace

void Router::add(boost::beast::http::verb method, std::string pattern, Handler handler,
                 boost::json::object openapi, RouteLimits limits) {
    auto segments = split_path(pattern);
    if (openapi.empty()) openapi = default_operation(pattern, segments);
    routes_.push_back({method, std::move(segments), std::move(handler), std::move(pattern),
                       std::move(openapi), limits});
}

std::optional<Router::Match> Router::find(boost::beast::http::verb method,
                                          std::string_view path) const {
    const auto segments = split_path(path);
    bool path_known = false;
    for (const auto& route : routes_) {
        if (route.method == method) {
            Match match;
            if (matches(route.segments, segments, &match.path_params)) {
                match.handler = &route.handler;
                match.limits = route.limits;
                return match;
            }
        } else if (!path_known && matches(route.segments, segments, nullptr)) {
            path_known = true;
        }
    }
    if (path_known) return Match{};
    return std::nullopt;
}

RouteLimits Router::limits_of(boost::beast::http::verb method, std::string_view path) const {
    const auto segments = split_path(path);
    for (const auto& route : routes_) {
        if (route.method == method && matches(route.segments, segments, nullptr)) {
            return route.limits;
        }
    }
    return {};
}

boost::json::object Router::openapi_paths() const {
    boost::json::object paths;
    for (const auto& route : routes_) {
        auto& item = paths[route.pattern];
        if (!item.is_object()) item = boost::json::object{};
        item.as_object()[lower_method(route.method)] = route.openapi;
    }
    return paths;
}

}  // namespace ecf::http
