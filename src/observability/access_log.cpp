#include "observability/access_log.hpp"

#include <string>

#include "observability/log_text.hpp"

namespace ecf::observability {

void AccessLog::record(const AccessRecord& record) const {
    if (!logger_->should_log(spdlog::level::info)) return;
    const double milliseconds = static_cast<double>(record.duration.count()) / 1000.0;
    // Everything here but the status came from the network or a token: escaped, and the query
    // kept without its values.
    logger_->info("access {} \"{} {}\" {} {:.1f}ms id={} user={}", printable_utf8(record.peer),
                  printable_utf8(record.method), loggable_target(record.target), record.status,
                  milliseconds, printable_utf8(record.request_id),
                  record.user.empty() ? std::string("-") : printable_utf8(record.user));
}

}  // namespace ecf::observability
