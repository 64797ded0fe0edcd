#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace ecf::observability {

// Counts events that come in bursts (failed accepts while out of descriptors) and says when to
// log them: at most once per interval, with how many happened since the last line, so that a
// burst cannot flood the log.
class BurstCounter {
  public:
    using Clock = std::chrono::steady_clock;

    explicit BurstCounter(Clock::duration interval) : interval_(interval) {}

    // Counts one event at `now`. Returns the number to log when a line is due (the first event
    // is logged at once), nullopt otherwise.
    std::optional<std::size_t> count(Clock::time_point now) {
        ++unlogged_;
        if (logged_ && now - *logged_ < interval_) return std::nullopt;
        logged_ = now;
        const std::size_t events = unlogged_;
        unlogged_ = 0;
        return events;
    }

  private:
    Clock::duration interval_;
    std::optional<Clock::time_point> logged_;
    std::size_t unlogged_ = 0;
};

}  // namespace ecf::observability
