#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace ecf::observability {

// Formats each log record as one JSON object on one line (JSON Lines), for log pipelines:
// {"time":"2026-12-06T21:00:00.000Z","level":"info","message":"..."}. With `message_is_fields`,
// the message is instead the inside of a JSON object already rendered by the caller (the access
// log's `"status":200,"user":"alice",...`), merged after time and level.
class JsonLineFormatter : public spdlog::formatter {
  public:
    explicit JsonLineFormatter(bool message_is_fields = false)
        : message_is_fields_(message_is_fields) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
    std::unique_ptr<spdlog::formatter> clone() const override;

  private:
    bool message_is_fields_;
};

}  // namespace ecf::observability
