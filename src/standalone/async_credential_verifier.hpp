#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/credentials.hpp"
#include "standalone/credential_verifier.hpp"
#include "standalone/keyed_token_buckets.hpp"

namespace ecf::standalone {

// CredentialVerifier for request handlers: a remembered check answers on the caller's thread,
// before any limit; a full Argon2id check runs on a small pool of its own, so an I/O thread
// never stalls tens of milliseconds on a hash.
// Full checks are limited twice, so that a flood of wrong passwords cannot starve a real user:
// failed checks per remote address and per user name (token buckets: a check takes a token
// and gives it back when the password was right), beyond which the caller gets
// ecf::Error(TooManyRequests) with a Retry-After; and at most `max_pending` full checks wait at
// once, beyond which the caller gets ecf::Error(Unavailable) rather than a growing queue.
// Failed checks allowed per remote address and per user name: a burst, then one per interval.
struct FailedCheckLimits {
    KeyedTokenBuckets::Policy per_address{10, std::chrono::milliseconds(2000), 10'000};
    KeyedTokenBuckets::Policy per_user{10, std::chrono::milliseconds(6000), 10'000};
};

class AsyncCredentialVerifier {
  public:
    using Limits = FailedCheckLimits;

    AsyncCredentialVerifier(std::shared_ptr<CredentialVerifier> verifier, std::size_t threads,
                            std::size_t max_pending, Limits limits = {});
    ~AsyncCredentialVerifier();

    // `peer` is the caller's remote address; empty when unknown (then only the user is limited).
    boost::asio::awaitable<std::optional<User>> verify(Credentials credentials,
                                                       std::string peer = {});

    // Threads for hashing: one per core, at most 4 (each Argon2id check holds 64 MiB).
    static std::size_t default_threads();

  private:
    static boost::asio::awaitable<std::optional<User>> verify_blocking(
        std::shared_ptr<CredentialVerifier> verifier, Credentials credentials);

    std::shared_ptr<CredentialVerifier> verifier_;
    boost::asio::thread_pool pool_;
    std::size_t max_pending_;
    std::atomic<std::size_t> pending_{0};
    KeyedTokenBuckets per_address_;
    KeyedTokenBuckets per_user_;
};

}  // namespace ecf::standalone
