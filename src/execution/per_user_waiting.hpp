#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ecf::execution {

// How many executions each user has waiting for a result, and a bound on it: one user's device
// fleet (or one stolen token) cannot take all of max_waiting_executions from everyone else.
// Users are counted only while they have executions waiting, so the map is bounded by the
// executions waiting. Thread-safe.
class PerUserWaiting {
  public:
    // `limit` 0: no limit.
    explicit PerUserWaiting(std::size_t limit);

    // Counts one execution of `user` until the lease is released or destroyed. Throws
    // ecf::Error(TooManyRequests) with Retry-After when the user is at the limit.
    class Lease {
      public:
        Lease();
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&& other) noexcept;
        ~Lease();
        // Stops counting now (an asynchronous execution's ending, told on the broker thread).
        void release() noexcept;

      private:
        friend class PerUserWaiting;
        struct Counted;
        std::unique_ptr<Counted> counted_;
    };
    Lease acquire(const std::string& user);

    std::size_t waiting(const std::string& user) const;
    // A new limit (a configuration reload); leases already held stay.
    void set_limit(std::size_t limit);

  private:
    struct State {
        std::size_t limit;
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::size_t> counts;
    };
    std::shared_ptr<State> state_;
};

}  // namespace ecf::execution
