#include "observability/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "observability/json_line_formatter.hpp"

namespace ecf::observability {

std::shared_ptr<spdlog::logger> make_service_logger(const std::string& level, LogFormat format) {
    // The plain (not colour) sink: logs are read by journald and by tests more than by people.
    auto logger =
        std::make_shared<spdlog::logger>("ecf", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    set_log_level(*logger, level);
    if (format == LogFormat::Json) {
        logger->set_formatter(std::make_unique<JsonLineFormatter>());
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    }
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return logger;
}

std::shared_ptr<spdlog::logger> make_access_logger(const spdlog::logger& service_logger,
                                                   LogFormat format) {
    // A sink of its own: in spdlog the format belongs to the sink. Both write to standard error
    // under spdlog's one console mutex, so their lines never interleave.
    auto logger = std::make_shared<spdlog::logger>(
        "ecf.access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_level(service_logger.level());
    if (format == LogFormat::Json) {
        logger->set_formatter(std::make_unique<JsonLineFormatter>(true));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    }
    logger->flush_on(spdlog::level::warn);
    return logger;
}

void set_log_level(spdlog::logger& logger, const std::string& level) {
    // spdlog names the level "warning" as "warn".
    logger.set_level(spdlog::level::from_str(level == "warning" ? "warn" : level));
}

}  // namespace ecf::observability
