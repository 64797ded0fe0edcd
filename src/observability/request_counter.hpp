#pragma once

#include <atomic>
#include <cstdint>

#include "observability/request_observer.hpp"

namespace ecf::observability {

// Counts the requests answered, so that a quiet spell can be told from a busy one.
class RequestCounter : public RequestObserver {
  public:
    void record(const AccessRecord&) const override {
        count_.fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

  private:
    mutable std::atomic<std::uint64_t> count_{0};
};

}  // namespace ecf::observability
