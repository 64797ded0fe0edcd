#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "observability/log_format.hpp"

namespace ecf::observability {

// The service's logger: one line per event on standard error, at `level` (a log_level of the
// configuration: trace, debug, info, warning/warn, error, critical, off). It is also installed
// as spdlog's default logger, so libraries of the project that log through spdlog share it.
std::shared_ptr<spdlog::logger> make_service_logger(const std::string& level,
                                                    LogFormat format = LogFormat::Text);

// The access log's logger: standard error at the service logger's level; in JSON its lines carry
// the request's fields as JSON members rather than as one message.
std::shared_ptr<spdlog::logger> make_access_logger(const spdlog::logger& service_logger,
                                                   LogFormat format);

// Sets `logger` to `level` (a log_level of the configuration, already validated).
void set_log_level(spdlog::logger& logger, const std::string& level);

}  // namespace ecf::observability
