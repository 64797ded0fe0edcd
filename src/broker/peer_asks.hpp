#pragma once

#include <boost/asio/experimental/concurrent_channel.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/peer_messages.hpp"

namespace ecf::broker {

using PeerAnswerChannel =
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code, PeerAnswer)>;

// Where the broker thread drops the answer to one question. As with an execution's mailbox, the
// channel lives in the asking coroutine's frame, which detaches it before it goes (its own timer
// ends the wait): an answer that comes later is dropped.
class PeerMailbox {
  public:
    explicit PeerMailbox(PeerAnswerChannel& channel) : channel_(&channel) {}
    void deliver(PeerAnswer answer) {
        std::lock_guard lock(mutex_);
        if (channel_) channel_->try_send(boost::system::error_code{}, std::move(answer));
    }
    // No answer will come (the connection was lost, the broker stops).
    void fail() {
        std::lock_guard lock(mutex_);
        if (channel_) channel_->try_send(boost::asio::error::connection_aborted, PeerAnswer{});
    }
    void detach() {
        std::lock_guard lock(mutex_);
        channel_ = nullptr;
    }

  private:
    std::mutex mutex_;
    PeerAnswerChannel* channel_;
};

// The questions this instance has asked other instances and still awaits, by correlation id.
// The broker thread's own; bounded by the caller (size()).
class PeerAsks {
  public:
    using Clock = std::chrono::steady_clock;

    void add(const std::string& correlation_id, std::shared_ptr<PeerMailbox> mailbox,
             Clock::time_point deadline) {
        auto [it, added] = asks_.try_emplace(correlation_id, Ask{std::move(mailbox), {}});
        if (!added) return;  // a random 128-bit id: cannot happen
        it->second.expiry = by_deadline_.emplace(deadline, correlation_id);
    }
    // Hands `answer` to the question's asker; false for a question not (or no longer) awaited.
    bool answer(const std::string& correlation_id, PeerAnswer answer) {
        auto it = asks_.find(correlation_id);
        if (it == asks_.end()) return false;
        it->second.mailbox->deliver(std::move(answer));
        by_deadline_.erase(it->second.expiry);
        asks_.erase(it);
        return true;
    }
    // Forgets the questions past their deadline (their askers have stopped waiting).
    void expire(Clock::time_point now) {
        while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
            asks_.erase(by_deadline_.begin()->second);
            by_deadline_.erase(by_deadline_.begin());
        }
    }
    // Every asker is told no answer will come.
    void fail_all() {
        for (auto& [id, ask] : asks_) ask.mailbox->fail();
        asks_.clear();
        by_deadline_.clear();
    }
    std::size_t size() const { return asks_.size(); }

  private:
    using ByDeadline = std::multimap<Clock::time_point, std::string>;
    struct Ask {
        std::shared_ptr<PeerMailbox> mailbox;
        ByDeadline::iterator expiry;
    };
    std::unordered_map<std::string, Ask> asks_;
    ByDeadline by_deadline_;
};

}  // namespace ecf::broker
