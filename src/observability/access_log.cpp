#include "observability/access_log.hpp"

#include <string>

namespace ecf::observability {
namespace {

// Request lines come from the network: keep the log one line per request whatever they hold.
std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) {
            out += '?';
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

void AccessLog::record(const AccessRecord& record) const {
    if (!logger_->should_log(spdlog::level::info)) return;
    const double milliseconds = static_cast<double>(record.duration.count()) / 1000.0;
    logger_->info("access {} \"{} {}\" {} {:.1f}ms id={} user={}", printable(record.peer),
                  printable(record.method), printable(record.target), record.status, milliseconds,
                  printable(record.request_id),
                  record.user.empty() ? std::string("-") : printable(record.user));
}

}  // namespace ecf::observability
