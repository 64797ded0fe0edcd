#include "observability/json_line_formatter.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <ctime>
#include <string>

#include "observability/log_text.hpp"

namespace ecf::observability {
namespace {

void append(spdlog::memory_buf_t& dest, std::string_view text) {
    dest.append(text.data(), text.data() + text.size());
}

std::string utc_time(std::chrono::system_clock::time_point when) {
    const auto since_epoch = when.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t t = seconds.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[40];
    const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    return std::string(buffer, n) + "." + (millis < 100 ? (millis < 10 ? "00" : "0") : "") +
           std::to_string(millis) + "Z";
}

}  // namespace

void JsonLineFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
    append(dest, "{\"time\":\"");
    append(dest, utc_time(msg.time));
    append(dest, "\",\"level\":\"");
    const auto level = spdlog::level::to_string_view(msg.level);
    append(dest, std::string_view(level.data(), level.size()));
    append(dest, "\",");
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (message_is_fields_) {
        append(dest, payload);
    } else {
        // printable_utf8 first: a message may quote bytes that are not UTF-8, which a JSON
        // string cannot hold; then JSON's own escaping.
        append(dest, "\"message\":");
        append(dest, boost::json::serialize(boost::json::string(printable_utf8(payload))));
    }
    append(dest, "}\n");
}

std::unique_ptr<spdlog::formatter> JsonLineFormatter::clone() const {
    return std::make_unique<JsonLineFormatter>(message_is_fields_);
}

}  // namespace ecf::observability
