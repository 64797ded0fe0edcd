#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string_view>

namespace ecf::observability {

// What the access log keeps of one request. Nothing here may hold a token or a password: the
// user name is the only thing taken from a token.
struct AccessRecord {
    std::string_view method;
    std::string_view target;  // path and query; the query of our routes holds no secret
    unsigned status = 0;
    std::chrono::microseconds duration{0};
    std::string_view request_id;
    std::string_view user;  // empty when the caller is not known
    std::string_view peer;  // remote address
};

// One line per request, at info level.
class AccessLog {
  public:
    explicit AccessLog(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

    void record(const AccessRecord& record) const;

  private:
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace ecf::observability
