#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string_view>

namespace ecf::broker {

// Whether work may be handed to the broker thread now, asked by callers on any thread: the
// connection's state as the broker thread last set it (connected; blocked by a resource alarm,
// when RabbitMQ would stop reading our publications), whether the broker stops, and how many
// executions were handed over and not yet taken. Thread-safe; knows nothing of RabbitMQ.
class BrokerAdmission {
  public:
    // Why an execution cannot be handed over now (a 503's detail), or nullopt: then it counts
    // as handed over until execution_taken(). `limit` bounds those handed over at once.
    std::optional<std::string_view> admit_execution(std::size_t limit);
    // The broker thread took one execution handed over.
    void execution_taken();
    // Why a message to another instance cannot be queued now, or nullopt. An answer may go
    // while publications are blocked (it is small, and its asker waits for it); a question not.
    std::optional<std::string_view> refuse_message(bool question) const;

    // The broker thread's view of its connection.
    void set_connected(bool connected);
    void set_blocked(bool blocked);
    bool connected() const;
    bool blocked() const;

    // From now on nothing is admitted.
    void stop();
    bool stopping() const { return stopping_.load(); }

    // The broker thread ended its first connection attempt (connected or not).
    void first_attempt_finished();
    // Waits until then, at most `limit`; whether it is connected.
    bool wait_for_first_attempt(std::chrono::steady_clock::duration limit);

  private:
    mutable std::mutex mutex_;
    std::condition_variable first_attempt_cv_;
    bool first_attempt_done_ = false;
    bool connected_ = false;
    bool blocked_ = false;
    std::atomic<bool> stopping_{false};  // written under mutex_, read anywhere
    std::size_t handed_over_ = 0;        // executions handed over, not yet taken
};

}  // namespace ecf::broker
