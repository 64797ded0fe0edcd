#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace ecf::broker {

// The sync executions that wait for a result at once, against a bound a configuration reload
// may change (max_waiting_executions). A slot is held by its execution's waiter and released
// once the waiting coroutine has been told its answer. The count is shared with the slots: a
// slot released after the broker is gone (its io_context outlives it after a second SIGINT or
// a drain timeout) touches nothing freed.
class WaitingSlots {
  public:
    class Slot {
      public:
        Slot() = default;  // holds nothing
        Slot(Slot&&) noexcept = default;
        Slot& operator=(Slot&& other) noexcept {
            if (this != &other) {
                release();
                count_ = std::move(other.count_);
            }
            return *this;
        }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { release(); }

        explicit operator bool() const { return count_ != nullptr; }

      private:
        friend class WaitingSlots;
        explicit Slot(std::shared_ptr<std::atomic<std::size_t>> count) : count_(std::move(count)) {}
        void release() {
            if (count_) count_->fetch_sub(1);
            count_.reset();
        }
        std::shared_ptr<std::atomic<std::size_t>> count_;
    };

    explicit WaitingSlots(std::size_t limit) : limit_(limit) {}

    // A slot, or nullopt when `limit` executions wait already.
    std::optional<Slot> try_reserve() {
        if (count_->fetch_add(1) >= limit_.load(std::memory_order_relaxed)) {
            count_->fetch_sub(1);
            return std::nullopt;
        }
        return Slot(count_);
    }

    std::size_t waiting() const { return count_->load(); }
    std::size_t limit() const { return limit_.load(std::memory_order_relaxed); }
    void set_limit(std::size_t limit) { limit_.store(limit); }

  private:
    std::shared_ptr<std::atomic<std::size_t>> count_ =
        std::make_shared<std::atomic<std::size_t>>(0);
    std::atomic<std::size_t> limit_;
};

}  // namespace ecf::broker
