#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ecf::http {

// Counts the open connections of each remote address, so that one address cannot take every
// connection (and every descriptor) of the server. Shared by the connections' coroutines, which
// run on different threads.
class AddressConnections : public std::enable_shared_from_this<AddressConnections> {
  public:
    explicit AddressConnections(std::size_t per_address_limit) : limit_(per_address_limit) {}

    // Holds one connection's place; gives it back when destroyed.
    class Lease {
      public:
        Lease() = default;
        Lease(std::shared_ptr<AddressConnections> owner, std::string address)
            : owner_(std::move(owner)), address_(std::move(address)) {}
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) noexcept = default;
        ~Lease() {
            if (owner_) owner_->release(address_);
        }
        explicit operator bool() const noexcept { return owner_ != nullptr; }

      private:
        std::shared_ptr<AddressConnections> owner_;
        std::string address_;
    };

    // A held Lease, or an empty one when the address already has per_address_limit connections.
    Lease try_acquire(const std::string& address) {
        std::lock_guard lock(mutex_);
        auto& count = counts_[address];
        if (count >= limit_) return {};
        ++count;
        return Lease(shared_from_this(), address);
    }

    std::size_t count(const std::string& address) const {
        std::lock_guard lock(mutex_);
        const auto it = counts_.find(address);
        return it == counts_.end() ? 0 : it->second;
    }

  private:
    void release(const std::string& address) {
        std::lock_guard lock(mutex_);
        const auto it = counts_.find(address);
        if (it == counts_.end()) return;
        // Forget an address with no connection left: the table stays as small as the open set.
        if (--it->second == 0) counts_.erase(it);
    }

    const std::size_t limit_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> counts_;
};

}  // namespace ecf::http
