#include "execution/per_user_waiting.hpp"

#include "core/error.hpp"

namespace ecf::execution {

struct PerUserWaiting::Lease::Counted {
    std::shared_ptr<PerUserWaiting::State> state;
    std::string user;
};

PerUserWaiting::Lease::Lease() = default;
PerUserWaiting::Lease::Lease(Lease&& other) noexcept = default;
PerUserWaiting::Lease& PerUserWaiting::Lease::operator=(Lease&& other) noexcept {
    // The count this lease held ends here, not with the memory the default would free.
    if (this != &other) {
        release();
        counted_ = std::move(other.counted_);
    }
    return *this;
}

PerUserWaiting::PerUserWaiting(std::size_t limit) : state_(std::make_shared<State>()) {
    state_->limit = limit;
}

PerUserWaiting::Lease PerUserWaiting::acquire(const std::string& user) {
    Lease lease;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->limit == 0) return lease;
        auto& count = state_->counts[user];
        if (count >= state_->limit) {
            if (count == 0) state_->counts.erase(user);
            throw Error(ErrorKind::TooManyRequests,
                        "Too many executions of this user waiting at once (" +
                            std::to_string(state_->limit) + "); retry later",
                        std::chrono::seconds(1));
        }
        ++count;
    }
    lease.counted_ = std::make_unique<Lease::Counted>(Lease::Counted{state_, user});
    return lease;
}

PerUserWaiting::Lease::~Lease() {
    release();
}

void PerUserWaiting::Lease::release() noexcept {
    if (!counted_) return;
    {
        std::lock_guard lock(counted_->state->mutex);
        auto it = counted_->state->counts.find(counted_->user);
        if (it != counted_->state->counts.end() && --it->second == 0) {
            counted_->state->counts.erase(it);
        }
    }
    counted_.reset();
}

void PerUserWaiting::set_limit(std::size_t limit) {
    std::lock_guard lock(state_->mutex);
    state_->limit = limit;
}

std::size_t PerUserWaiting::waiting(const std::string& user) const {
    std::lock_guard lock(state_->mutex);
    auto it = state_->counts.find(user);
    return it == state_->counts.end() ? 0 : it->second;
}

}  // namespace ecf::execution
