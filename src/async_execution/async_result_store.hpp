#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/steady_now.hpp"

namespace ecf::async_execution {

// Where an asynchronous execution stands, in the Serverless Runtime's own words
// (AsyncExecStatus of its API).
enum class AsyncState { Working, Ready, Failed };

std::string_view name_of(AsyncState state);

// Who started an execution: a digest of the token's user name, so that the store keeps 32 bytes
// per entry whatever the name, and compares owners in constant time.
using OwnerDigest = std::array<unsigned char, 32>;
OwnerDigest owner_digest(std::string_view user);

struct AsyncStoreLimits {
    // How long a finished result is kept (config async_result_ttl).
    std::chrono::milliseconds result_ttl{600'000};
    // Executions kept at once, working or finished (config async_max_results).
    std::size_t max_results = 100'000;
    // Largest result kept (config async_max_result_bytes); a larger one is stored as FAILED.
    std::size_t max_result_bytes = 1024 * 1024;
    // All results' bytes together (config async_store_bytes).
    std::size_t store_bytes = 256 * 1024 * 1024;
    // Long polls waiting at once, in all and per user.
    std::size_t max_waiters = 10'000;
    std::size_t max_waiters_per_user = 100;
};

// What an owner sees of one execution.
struct AsyncView {
    AsyncState state = AsyncState::Working;
    int code = 0;             // the runtime's code (0 while working, or failed without one)
    std::string result_json;  // serialized `res` ("null" while working)
};

// Counts for /metrics.
struct AsyncStoreStats {
    std::size_t entries = 0;
    std::size_t bytes = 0;
    std::size_t waiters = 0;
    std::uint64_t accepted = 0;      // reservations that became accepted executions
    std::uint64_t refused_full = 0;  // reservations refused: the store was full
    std::uint64_t ready = 0;         // results stored READY
    std::uint64_t failed = 0;        // results stored FAILED (the runtime's error, timeout, ...)
    std::uint64_t evictions = 0;     // finished results dropped before their time to make room
    std::uint64_t expired = 0;       // entries dropped at the end of their time
};

// Something that waits for one execution to finish (a long poll). done() is called once, under
// the store's lock: it must only signal (e.g. a concurrent channel's try_send).
class CompletionWaiter {
  public:
    virtual ~CompletionWaiter() = default;
    virtual void done() = 0;
};

// The results of asynchronous executions, by request id: bounded in count and bytes, each kept
// for result_ttl after it finishes. A slot is reserved before the request is published, so a
// confirmed execution always has room for its result; when the store is full of working ones,
// new asynchronous work is refused (503). When room is needed, the oldest finished results go
// first. Thread-safe: results arrive on the broker thread, lookups on the I/O threads.
//
// Only the owner sees an execution: find() answers an unknown, expired and another user's id
// alike (nullopt).
class AsyncResultStore {
  public:
    using Clock = std::chrono::steady_clock;
    using Now = SteadyNow;

    explicit AsyncResultStore(AsyncStoreLimits limits, Now now = Clock::now);

    // Room for one execution about to be published, until `deadline` (then, with no result,
    // it is FAILED: timeout). False when the store is full (or the id is taken).
    bool reserve(const std::string& id, const OwnerDigest& owner, Clock::time_point deadline);
    // The publication was confirmed: counted as accepted.
    void accepted(const std::string& id);
    // The publication failed: nothing was accepted, the slot goes.
    void release(const std::string& id);

    // The runtime's answer (its code and message, serialized). The first ending wins; an id not
    // (or no longer) reserved is ignored.
    void complete(const std::string& id, int code, std::string message_json);
    // No result will come: `reason` is told to the owner.
    void fail(const std::string& id, std::string_view reason);

    std::optional<AsyncView> find(const std::string& id, const OwnerDigest& owner);

    enum class Watch { Waiting, Finished, NotFound, TooManyWaiters };
    // Registers `waiter` until the execution finishes (done() is called) or remove_waiter().
    // Finished / NotFound: nothing was registered.
    Watch add_waiter(const std::string& id, const OwnerDigest& owner, CompletionWaiter& waiter);
    void remove_waiter(const std::string& id, CompletionWaiter& waiter);
    // Wakes every long poll (the server drains); new ones end at once too.
    void wake_all();
    bool closing() const;

    void set_limits(AsyncStoreLimits limits);
    AsyncStoreLimits limits() const;
    AsyncStoreStats stats() const;

  private:
    using ByTime = std::multimap<Clock::time_point, std::string>;
    struct Entry {
        OwnerDigest owner{};
        AsyncState state = AsyncState::Working;
        int code = 0;
        std::string result;  // serialized `res`
        Clock::time_point deadline;
        ByTime::iterator expiry;    // in expiries_
        ByTime::iterator finished;  // in finished_ (when not Working)
        bool confirmed = false;
        std::size_t waiters = 0;
    };
    using Entries = std::unordered_map<std::string, Entry>;
    struct Waiting {
        CompletionWaiter* waiter;
        OwnerDigest owner;
    };

    void purge(Clock::time_point now);
    void erase(Entries::iterator it);
    bool evict_oldest_finished();
    void finish(Entries::iterator it, AsyncState state, int code, std::string result);
    void time_out_if_due(Entries::iterator it, Clock::time_point now);
    static bool same_owner(const OwnerDigest& a, const OwnerDigest& b);
    std::size_t& waiters_of(const OwnerDigest& owner);

    Now now_;
    mutable std::mutex mutex_;
    AsyncStoreLimits limits_;
    Entries entries_;
    ByTime expiries_;  // every entry, by the time it goes
    ByTime finished_;  // finished entries, by when they finished: the oldest are evicted first
    std::size_t bytes_ = 0;
    std::unordered_multimap<std::string, Waiting> waiting_;
    std::map<OwnerDigest, std::size_t> waiters_per_user_;
    bool closing_ = false;
    AsyncStoreStats counts_;
};

}  // namespace ecf::async_execution
