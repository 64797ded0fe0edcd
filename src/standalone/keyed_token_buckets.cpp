#include "standalone/keyed_token_buckets.hpp"

#include <algorithm>
#include <cmath>

namespace ecf::standalone {

KeyedTokenBuckets::KeyedTokenBuckets(Policy policy) : policy_(policy) {
    policy_.burst = std::max(policy_.burst, 1.0);
    policy_.refill_every = std::max(policy_.refill_every, std::chrono::milliseconds(1));
    policy_.max_keys = std::max<std::size_t>(policy_.max_keys, 1);
}

KeyedTokenBuckets::Bucket& KeyedTokenBuckets::bucket(const std::string& key,
                                                     Clock::time_point now) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= policy_.max_keys) {
            buckets_.erase(recency_.back());
            recency_.pop_back();
        }
        recency_.push_front(key);
        it = buckets_.emplace(key, Bucket{policy_.burst, now, recency_.begin()}).first;
        return it->second;
    }
    auto& b = it->second;
    recency_.splice(recency_.begin(), recency_, b.recency);
    if (now > b.updated) {
        const double gained = std::chrono::duration<double, std::milli>(now - b.updated).count() /
                              static_cast<double>(policy_.refill_every.count());
        b.tokens = std::min(policy_.burst, b.tokens + gained);
        b.updated = now;
    }
    return b;
}

std::optional<std::chrono::milliseconds> KeyedTokenBuckets::try_take(const std::string& key,
                                                                     Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto& b = bucket(key, now);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    const double missing = 1.0 - b.tokens;
    return std::chrono::milliseconds(static_cast<std::int64_t>(
        std::ceil(missing * static_cast<double>(policy_.refill_every.count()))));
}

void KeyedTokenBuckets::give_back(const std::string& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto& b = bucket(key, now);
    b.tokens = std::min(policy_.burst, b.tokens + 1.0);
}

std::size_t KeyedTokenBuckets::size() {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace ecf::standalone
