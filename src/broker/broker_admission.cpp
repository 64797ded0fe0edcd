#include "broker/broker_admission.hpp"

namespace ecf::broker {

std::optional<std::string_view> BrokerAdmission::admit_execution(std::size_t limit) {
    std::lock_guard lock(mutex_);
    if (stopping_) return "the service is shutting down";
    if (!connected_) return "the message broker is unreachable";
    // A publication now would block the broker thread until the alarm clears.
    if (blocked_) return "the message broker refuses publications (resource alarm)";
    if (handed_over_ >= limit) return "too many waiting executions";
    ++handed_over_;
    return std::nullopt;
}

void BrokerAdmission::execution_taken() {
    std::lock_guard lock(mutex_);
    if (handed_over_ > 0) --handed_over_;
}

std::optional<std::string_view> BrokerAdmission::refuse_message(bool question) const {
    std::lock_guard lock(mutex_);
    if (stopping_) return "the service is shutting down";
    if (!connected_) return "the message broker is unreachable";
    if (question && blocked_) return "the message broker refuses publications (resource alarm)";
    return std::nullopt;
}

void BrokerAdmission::set_connected(bool connected) {
    std::lock_guard lock(mutex_);
    connected_ = connected;
}

void BrokerAdmission::set_blocked(bool blocked) {
    std::lock_guard lock(mutex_);
    blocked_ = blocked;
}

bool BrokerAdmission::connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
}

bool BrokerAdmission::blocked() const {
    std::lock_guard lock(mutex_);
    return blocked_;
}

void BrokerAdmission::stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
}

void BrokerAdmission::first_attempt_finished() {
    {
        std::lock_guard lock(mutex_);
        first_attempt_done_ = true;
    }
    first_attempt_cv_.notify_all();
}

bool BrokerAdmission::wait_for_first_attempt(std::chrono::steady_clock::duration limit) {
    std::unique_lock lock(mutex_);
    first_attempt_cv_.wait_for(lock, limit, [this] { return first_attempt_done_; });
    return connected_;
}

}  // namespace ecf::broker
