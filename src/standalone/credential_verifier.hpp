#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/credentials.hpp"
#include "core/steady_now.hpp"
#include "standalone/user_directory.hpp"

namespace ecf::standalone {

// Checks a user name and password against the UserDirectory, the way OpenNebula checks the
// session string of every call. Argon2id costs tens of milliseconds by design, and every request
// of a device carries the password in its token, so a successful check is remembered for `ttl`,
// keyed by the user name and the SHA-256 of the password (the password itself is never kept).
// A remembered check counts only while the user's stored hash is unchanged, so removing a user
// or changing a password takes effect at once. At most `max_entries` are kept: when full,
// expired entries go first, then everything.
// An unknown user name costs what a wrong password costs: its password is checked against a
// dummy Argon2id hash made with the same parameters, so the time of an answer does not tell
// which names exist.
class CredentialVerifier {
  public:
    using Clock = std::chrono::steady_clock;

    // `now`: the clock of the remembered checks' lifetime (default: the steady clock).
    CredentialVerifier(std::shared_ptr<UserDirectory> users, std::chrono::milliseconds ttl,
                       std::size_t max_entries, SteadyNow now = {});

    // The user when the password is right, nullopt otherwise. Blocks for the hash on a miss.
    std::optional<User> verify(const Credentials& credentials);
    // Only the remembered checks: the user when a fresh one matches, nullopt when the slow
    // verify() is needed (or the credentials are wrong).
    std::optional<User> verify_remembered(const Credentials& credentials);

    std::size_t remembered_count();
    // Argon2id checks done so far (of a real hash or of the dummy one), and of the dummy alone.
    std::uint64_t full_checks() const { return full_checks_.load(); }
    std::uint64_t dummy_checks() const { return dummy_checks_.load(); }

  private:
    struct Entry {
        std::string password_hash;  // the stored hash the password was checked against
        Clock::time_point expires;
    };
    static std::string key(const Credentials& credentials);
    void remember(std::string key, const User& user);

    std::shared_ptr<UserDirectory> users_;
    std::chrono::milliseconds ttl_;
    std::size_t max_entries_;
    SteadyNow now_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::string dummy_hash_;
    std::atomic<std::uint64_t> full_checks_{0};
    std::atomic<std::uint64_t> dummy_checks_{0};
};

}  // namespace ecf::standalone
