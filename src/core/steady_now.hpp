#pragma once

#include <chrono>
#include <functional>
#include <utility>

namespace ecf {

// Where a component reads the time when it measures an interval (a lifetime, a rate limit):
// the steady clock in the service, a clock a test moves by hand, so that no test sleeps for an
// interval to pass.
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

// `now`, or the steady clock when it is empty.
inline SteadyNow steady_now_or_clock(SteadyNow now) {
    if (now) return now;
    return [] { return std::chrono::steady_clock::now(); };
}

}  // namespace ecf
