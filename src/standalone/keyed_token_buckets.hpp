#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ecf::standalone {

// One token bucket per key (a remote address, a user name), for limiting failed password
// checks: each check takes a token first and gives it back when the password was right, so only
// failures use the bucket up. A bucket holds at most `burst` tokens and gains one every
// `refill_every`. At most `max_keys` buckets are kept, the least recently used going first: a
// flood of new keys costs bounded memory, and a forgotten key simply starts full again.
class KeyedTokenBuckets {
  public:
    using Clock = std::chrono::steady_clock;
    struct Policy {
        double burst = 10;
        std::chrono::milliseconds refill_every{1000};
        std::size_t max_keys = 10'000;
    };

    explicit KeyedTokenBuckets(Policy policy);

    // Takes a token of `key`'s bucket: nullopt when taken, otherwise how long until one is there.
    std::optional<std::chrono::milliseconds> try_take(const std::string& key,
                                                      Clock::time_point now);
    // Returns a token taken by try_take (the check it guarded did not fail).
    void give_back(const std::string& key, Clock::time_point now);

    std::size_t size();

  private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
        std::list<std::string>::iterator recency;
    };
    Bucket& bucket(const std::string& key, Clock::time_point now);

    Policy policy_;
    std::mutex mutex_;
    std::list<std::string> recency_;  // most recently used first
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace ecf::standalone
