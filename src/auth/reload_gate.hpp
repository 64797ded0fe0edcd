#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

#include "core/steady_now.hpp"

namespace ecf::auth {

// Lets one key reload through per interval, and never two at once: a flood of tokens signed with
// an unknown key costs the issuer at most one request per interval.
class ReloadGate {
  public:
    // `now`: the clock the interval is measured on (default: the steady clock).
    explicit ReloadGate(std::chrono::milliseconds interval, SteadyNow now = {})
        : interval_(interval), now_(steady_now_or_clock(std::move(now))) {}

    // True when the caller may reload now; it must then call finish().
    bool try_begin() {
        std::lock_guard lock(mutex_);
        const auto now = now_();
        if (running_ || (last_ && now - *last_ < interval_)) return false;
        running_ = true;
        last_ = now;
        return true;
    }

    bool running() const {
        std::lock_guard lock(mutex_);
        return running_;
    }

    void finish() {
        std::lock_guard lock(mutex_);
        running_ = false;
    }

  private:
    std::chrono::milliseconds interval_;
    SteadyNow now_;
    mutable std::mutex mutex_;
    bool running_ = false;
    std::optional<std::chrono::steady_clock::time_point> last_;
};

}  // namespace ecf::auth
