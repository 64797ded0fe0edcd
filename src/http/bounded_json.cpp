#include "http/bounded_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <limits>

namespace ecf::http {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// A basic_parser handler that builds nothing: it counts values, depth and string lengths and
// stops the parse at the first limit passed.
class LimitCounter {
  public:
    static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

    explicit LimitCounter(const JsonLimits& limits) : limits_(limits) {}

    std::string exceeded;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code& ec) { return open(ec); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_array_begin(error_code& ec) { return open(ec); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_key_part(json::string_view, std::size_t n, error_code& ec) { return text(n, ec); }
    bool on_key(json::string_view, std::size_t n, error_code& ec) { return text(n, ec); }
    bool on_string_part(json::string_view, std::size_t n, error_code& ec) { return text(n, ec); }
    bool on_string(json::string_view, std::size_t n, error_code& ec) {
        return text(n, ec) && value(ec);
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, error_code& ec) { return value(ec); }
    bool on_uint64(std::uint64_t, json::string_view, error_code& ec) { return value(ec); }
    bool on_double(double, json::string_view, error_code& ec) { return value(ec); }
    bool on_bool(bool, error_code& ec) { return value(ec); }
    bool on_null(error_code& ec) { return value(ec); }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }

  private:
    bool refuse(error_code& ec, std::string why) {
        exceeded = std::move(why);
        ec = json::error::exception;  // any error stops the parser; `exceeded` says which
        return false;
    }
    bool value(error_code& ec) {
        if (++values_ > limits_.max_values) {
            return refuse(ec, "more than " + std::to_string(limits_.max_values) + " values");
        }
        return true;
    }
    bool open(error_code& ec) {
        if (++depth_ > limits_.max_depth) {
            return refuse(ec, "nested deeper than " + std::to_string(limits_.max_depth));
        }
        return value(ec);
    }
    bool close() {
        --depth_;
        return true;
    }
    // `n`: the bytes of the string or key so far.
    bool text(std::size_t n, error_code& ec) {
        if (n > limits_.max_string_bytes) {
            return refuse(
                ec, "a string longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
        }
        return true;
    }

    const JsonLimits& limits_;
    std::size_t values_ = 0;
    std::size_t depth_ = 0;
};

}  // namespace

BoundedJson parse_bounded_json(std::string_view text, const JsonLimits& limits) {
    BoundedJson result;
    json::parse_options options;
    // The counter checks the depth; the parser's own limit must not stop it first.
    options.max_depth = limits.max_depth + 1;
    json::basic_parser<LimitCounter> counter(options, limits);
    error_code ec;
    counter.write_some(false, text.data(), text.size(), ec);
    if (ec) {
        result.limit_exceeded = std::move(counter.handler().exceeded);
        return result;
    }
    result.value = json::parse(text, ec, {}, options);
    result.ok = !ec;
    return result;
}

}  // namespace ecf::http
