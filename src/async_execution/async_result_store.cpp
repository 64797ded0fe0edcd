#include "async_execution/async_result_store.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace ecf::async_execution {

namespace {

std::string failure_json(std::string_view reason) {
    // The Serverless Runtime's ExecResponse shape, as a failed execution of it reads.
    std::string text = R"({"ret_code":-1,"res":null,"err":")";
    for (char c : reason) {
        if (c == '"' || c == '\\') text += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;  // our own reasons have none
        text += c;
    }
    text += "\"}";
    return text;
}

}  // namespace

std::string_view name_of(AsyncState state) {
    switch (state) {
        case AsyncState::Working:
            return "WORKING";
        case AsyncState::Ready:
            return "READY";
        case AsyncState::Failed:
            return "FAILED";
    }
    return "FAILED";
}

OwnerDigest owner_digest(std::string_view user) {
    OwnerDigest digest{};
    SHA256(reinterpret_cast<const unsigned char*>(user.data()), user.size(), digest.data());
    return digest;
}

AsyncResultStore::AsyncResultStore(AsyncStoreLimits limits, Now now)
    : now_(std::move(now)), limits_(limits) {}

bool AsyncResultStore::same_owner(const OwnerDigest& a, const OwnerDigest& b) {
    // Constant time: how long a lookup takes tells nothing of whose id it is.
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void AsyncResultStore::erase(Entries::iterator it) {
    expiries_.erase(it->second.expiry);
    if (it->second.state != AsyncState::Working) finished_.erase(it->second.finished);
    bytes_ -= it->second.result.size();
    entries_.erase(it);
}

void AsyncResultStore::purge(Clock::time_point now) {
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
        auto it = entries_.find(expiries_.begin()->second);
        if (it == entries_.end()) {
            expiries_.erase(expiries_.begin());  // cannot happen; never loop on it
            continue;
        }
        ++counts_.expired;
        erase(it);
    }
}

bool AsyncResultStore::evict_oldest_finished() {
    if (finished_.empty()) return false;
    auto it = entries_.find(finished_.begin()->second);
    if (it == entries_.end()) {
        finished_.erase(finished_.begin());
        return true;
    }
    ++counts_.evictions;
    erase(it);
    return true;
}

bool AsyncResultStore::reserve(const std::string& id, const OwnerDigest& owner,
                               Clock::time_point deadline) {
    std::lock_guard lock(mutex_);
    const auto now = now_();
    purge(now);
    while (entries_.size() >= limits_.max_results || bytes_ >= limits_.store_bytes) {
        if (!evict_oldest_finished()) {
            ++counts_.refused_full;
            return false;
        }
    }
    auto [it, inserted] = entries_.try_emplace(id);
    if (!inserted) return false;
    it->second.owner = owner;
    it->second.deadline = deadline;
    it->second.result = "null";
    bytes_ += it->second.result.size();
    // With no ending told by then, it goes a TTL after its deadline.
    it->second.expiry = expiries_.emplace(deadline + limits_.result_ttl, id);
    return true;
}

void AsyncResultStore::accepted(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.confirmed) return;
    it->second.confirmed = true;
    ++counts_.accepted;
}

void AsyncResultStore::release(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    // Its long polls (none yet: the id was never given out) would find nothing.
    erase(it);
}

void AsyncResultStore::finish(Entries::iterator it, AsyncState state, int code,
                              std::string result) {
    auto& entry = it->second;
    const auto now = now_();
    if (result.size() > limits_.max_result_bytes) {
        state = AsyncState::Failed;
        code = 0;  // the owner gets our reason, not the runtime's answer
        result = failure_json("the result (" + std::to_string(result.size()) +
                              " bytes) is larger than async_max_result_bytes (" +
                              std::to_string(limits_.max_result_bytes) + ")");
    }
    bytes_ -= entry.result.size();
    while (bytes_ + result.size() > limits_.store_bytes && evict_oldest_finished()) {
    }
    if (bytes_ + result.size() > limits_.store_bytes) {
        state = AsyncState::Failed;
        code = 0;
        result = failure_json("the store of asynchronous results is full (async_store_bytes)");
    }
    entry.state = state;
    entry.code = code;
    entry.result = std::move(result);
    bytes_ += entry.result.size();
    expiries_.erase(entry.expiry);
    entry.expiry = expiries_.emplace(now + limits_.result_ttl, it->first);
    entry.finished = finished_.emplace(now, it->first);
    ++(state == AsyncState::Ready ? counts_.ready : counts_.failed);
    // Every long poll of this id, at once.
    auto [begin, end] = waiting_.equal_range(it->first);
    for (auto w = begin; w != end; ++w) w->second.waiter->done();
}

void AsyncResultStore::complete(const std::string& id, int code, std::string message_json) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != AsyncState::Working) return;
    finish(it, code == 200 ? AsyncState::Ready : AsyncState::Failed, code, std::move(message_json));
}

void AsyncResultStore::fail(const std::string& id, std::string_view reason) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != AsyncState::Working) return;
    finish(it, AsyncState::Failed, 0, failure_json(reason));
}

void AsyncResultStore::time_out_if_due(Entries::iterator it, Clock::time_point now) {
    // The broker tells the timeout at the deadline; should it not (it stopped), the deadline
    // still holds here.
    if (it->second.state == AsyncState::Working && it->second.deadline <= now) {
        finish(it, AsyncState::Failed, 0, failure_json("no result before the execution deadline"));
    }
}

std::optional<AsyncView> AsyncResultStore::find(const std::string& id, const OwnerDigest& owner) {
    std::lock_guard lock(mutex_);
    const auto now = now_();
    purge(now);
    auto it = entries_.find(id);
    // An unconfirmed reservation is nobody's yet: its id was not given out.
    if (it == entries_.end() || !it->second.confirmed || !same_owner(it->second.owner, owner)) {
        return std::nullopt;
    }
    time_out_if_due(it, now);
    return AsyncView{it->second.state, it->second.code, it->second.result};
}

std::size_t& AsyncResultStore::waiters_of(const OwnerDigest& owner) {
    return waiters_per_user_[owner];
}

AsyncResultStore::Watch AsyncResultStore::add_waiter(const std::string& id,
                                                     const OwnerDigest& owner,
                                                     CompletionWaiter& waiter) {
    std::lock_guard lock(mutex_);
    const auto now = now_();
    purge(now);
    auto it = entries_.find(id);
    if (it == entries_.end() || !it->second.confirmed || !same_owner(it->second.owner, owner)) {
        return Watch::NotFound;
    }
    time_out_if_due(it, now);
    if (it->second.state != AsyncState::Working || closing_) return Watch::Finished;
    auto& mine = waiters_of(owner);
    if (waiting_.size() >= limits_.max_waiters || mine >= limits_.max_waiters_per_user) {
        if (mine == 0) waiters_per_user_.erase(owner);
        return Watch::TooManyWaiters;
    }
    ++mine;
    waiting_.emplace(id, Waiting{&waiter, owner});
    return Watch::Waiting;
}

void AsyncResultStore::remove_waiter(const std::string& id, CompletionWaiter& waiter) {
    std::lock_guard lock(mutex_);
    auto [begin, end] = waiting_.equal_range(id);
    for (auto w = begin; w != end; ++w) {
        if (w->second.waiter != &waiter) continue;
        auto count = waiters_per_user_.find(w->second.owner);
        if (count != waiters_per_user_.end() && --count->second == 0) {
            waiters_per_user_.erase(count);
        }
        waiting_.erase(w);
        return;
    }
}

void AsyncResultStore::wake_all() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (auto& [id, w] : waiting_) w.waiter->done();
}

bool AsyncResultStore::closing() const {
    std::lock_guard lock(mutex_);
    return closing_;
}

void AsyncResultStore::set_limits(AsyncStoreLimits limits) {
    std::lock_guard lock(mutex_);
    // Entries already kept keep their expiry; the new bounds apply to what comes next.
    limits_ = limits;
}

AsyncStoreLimits AsyncResultStore::limits() const {
    std::lock_guard lock(mutex_);
    return limits_;
}

AsyncStoreStats AsyncResultStore::stats() const {
    std::lock_guard lock(mutex_);
    AsyncStoreStats stats = counts_;
    stats.entries = entries_.size();
    stats.bytes = bytes_;
    stats.waiters = waiting_.size();
    return stats;
}

}  // namespace ecf::async_execution
