#include "observability/access_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "observability/log_text.hpp"

namespace ecf::observability {

void AccessLog::record(const AccessRecord& record) const {
    if (!logger_->should_log(spdlog::level::info)) return;
    const double milliseconds = static_cast<double>(record.duration.count()) / 1000.0;
    // Everything here but the status came from the network or a token: escaped, and the query
    // kept without its values.
    if (format_ == LogFormat::Json) {
        boost::json::object line{
            {"event", "access"},
            {"peer", printable_utf8(record.peer)},
            {"method", printable_utf8(record.method)},
            {"target", loggable_target(record.target)},
            {"status", record.status},
            {"duration_ms", milliseconds},
            {"request_id", printable_utf8(record.request_id)},
            {"user", record.user.empty() ? std::string() : printable_utf8(record.user)}};
        if (record.fields) {
            for (const auto& [name, value] : *record.fields) line[name] = printable_utf8(value);
        }
        // The inside of the object: the JSON formatter puts time and level before it.
        const std::string text = boost::json::serialize(line);
        logger_->info("{}", std::string_view(text).substr(1, text.size() - 2));
        return;
    }
    std::string extra;
    if (record.fields) {
        for (const auto& [name, value] : *record.fields) {
            extra += " " + name + "=" + printable_utf8(value);
        }
    }
    logger_->info("access {} \"{} {}\" {} {:.1f}ms id={} user={}{}", printable_utf8(record.peer),
                  printable_utf8(record.method), loggable_target(record.target), record.status,
                  milliseconds, printable_utf8(record.request_id),
                  record.user.empty() ? std::string("-") : printable_utf8(record.user), extra);
}

}  // namespace ecf::observability
