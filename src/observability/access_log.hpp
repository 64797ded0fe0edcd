#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "observability/log_format.hpp"
#include "observability/request_observer.hpp"

namespace ecf::observability {

// One line per request, at info level: text (key=value) or, with a logger made by
// make_access_logger(..., LogFormat::Json), one JSON object.
class AccessLog : public RequestObserver {
  public:
    explicit AccessLog(std::shared_ptr<spdlog::logger> logger, LogFormat format = LogFormat::Text)
        : logger_(std::move(logger)), format_(format) {}

    void record(const AccessRecord& record) const override;

  private:
    std::shared_ptr<spdlog::logger> logger_;
    LogFormat format_;
};

}  // namespace ecf::observability
