// libFuzzer target: bytes from the network, read as the server reads a request (header and body
// limits, bounded chunk extensions), its JSON body parsed within the route limits and validated
// as the execute route validates it, and its target written as the access log writes it.
// Whatever the bytes: no crash, no hang, a 422 of at most a few short problems, and a log text
// that is printable UTF-8.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/bounded_json.hpp"
#include "http/validation_error.hpp"
#include "observability/log_text.hpp"

namespace {

namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
namespace json = boost::json;

void require(bool condition) {
    if (!condition) std::abort();
}

// What the execute route does with a body: every element must be a string.
void validate_as_execute(const json::value& body) {
    ecf::http::ValidationProblems problems;
    if (!body.is_array()) {
        problems.add_body("list_type", "Input should be a valid list", {}, body);
    } else {
        const auto& items = body.as_array();
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!items[i].is_string()) {
                problems.add_body("string_type", "Input should be a valid string", {i}, items[i]);
            }
        }
    }
    try {
        problems.throw_if_any();
    } catch (const ecf::http::ValidationError& error) {
        require(error.problems().size() <= ecf::http::ValidationProblems::kMaxProblems);
        for (const auto& problem : error.problems()) {
            const auto& input = problem.at("input");
            constexpr auto limit = ecf::http::ValidationProblems::kMaxInputBytes;
            if (input.is_string()) require(input.as_string().size() <= limit);
            if (input.is_array() || input.is_object())
                require(json::serialize(input).size() <= limit);
        }
        (void)json::serialize(json::object{{"detail", error.problems()}});
    }
}

// Printable UTF-8 (what the log keeps): no byte below 0x20, no DEL, no raw `"` or `\`.
void require_loggable(std::string_view text) {
    for (unsigned char c : text) require(c >= 0x20 && c != 0x7f && c != '"');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    parser.eager(true);
    auto on_chunk_header = [](std::uint64_t, beast::string_view extensions,
                              boost::system::error_code& ec) {
        if (extensions.size() > 1024) ec = beast_http::error::bad_chunk_extension;
    };
    parser.on_chunk_header(on_chunk_header);
    boost::system::error_code ec;
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (!rest.empty() && !parser.is_done()) {
        const auto used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        if (ec || used == 0) break;
        rest.remove_prefix(used);
    }
    if (parser.is_header_done()) {
        const auto target = parser.get().target();
        require_loggable(ecf::observability::loggable_target({target.data(), target.size()}));
    }
    if (!parser.is_done() || ec) return 0;

    const auto& body = parser.get().body();
    for (const auto& limits : {ecf::http::JsonLimits{}, ecf::http::large_payload_limits().json}) {
        const auto parsed = ecf::http::parse_bounded_json(body, limits);
        if (parsed.ok) validate_as_execute(parsed.value);
    }
    return 0;
}
