#pragma once

#include <chrono>
#include <memory>

#include "core/steady_now.hpp"

namespace ecf::testing {

// A steady clock a test moves by hand (copies share the time).
class ManualClock {
  public:
    SteadyNow now() const {
        return [at = at_] { return *at; };
    }
    void advance(std::chrono::steady_clock::duration by) const { *at_ += by; }

  private:
    std::shared_ptr<std::chrono::steady_clock::time_point> at_ =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
};

}  // namespace ecf::testing
