#pragma once

// The wall-clock budget of one run, charged where the work happens: a join row, an expression
// operation, or bytes copied, searched or matched. The clock is read only once per
// kUnitsPerCheck units, so charging costs a subtraction.

#include <biscuit/error.hpp>
#include <chrono>
#include <cstddef>

namespace biscuit::datalog::internal {

class WorkMeter {
  public:
    // A unit is about one join row or one operation; this many take a few microseconds.
    static constexpr std::size_t kUnitsPerCheck = 256;
    // Bytes handled by a string or collection operation per unit charged.
    static constexpr std::size_t kBytesPerUnit = 64;

    explicit WorkMeter(std::chrono::microseconds budget) : budget_(budget) { restart(); }

    void restart() {
        deadline_ = std::chrono::steady_clock::now() + budget_;
        until_check_ = kUnitsPerCheck;
    }

    // Throws Error{RunLimit, "Timeout"} once the budget is spent.
    void charge(std::size_t units = 1) {
        if (units < until_check_) {
            until_check_ -= units;
            return;
        }
        check_now();
    }

    void charge_bytes(std::size_t bytes) { charge(1 + bytes / kBytesPerUnit); }

    void check_now() {
        until_check_ = kUnitsPerCheck;
        if (std::chrono::steady_clock::now() >= deadline_)
            throw Error(ErrorKind::RunLimit, "Timeout");
    }

  private:
    std::chrono::microseconds budget_;
    std::chrono::steady_clock::time_point deadline_;
    std::size_t until_check_ = kUnitsPerCheck;
};

}  // namespace biscuit::datalog::internal
