#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "observability/request_observer.hpp"

namespace ecf::observability {

// One line per request, at info level.
class AccessLog : public RequestObserver {
  public:
    explicit AccessLog(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

    void record(const AccessRecord& record) const override;

  private:
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace ecf::observability
