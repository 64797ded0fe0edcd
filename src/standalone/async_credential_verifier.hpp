#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <memory>
#include <optional>

#include "core/credentials.hpp"
#include "standalone/credential_verifier.hpp"

namespace ecf::standalone {

// CredentialVerifier for request handlers: a remembered check answers on the caller's thread;
// a full Argon2id check runs on a small pool of its own, so an I/O thread never stalls tens of
// milliseconds on a hash. At most `max_pending` full checks wait at once; beyond that, the
// caller gets ecf::Error(Unavailable) rather than a growing queue.
class AsyncCredentialVerifier {
  public:
    AsyncCredentialVerifier(std::shared_ptr<CredentialVerifier> verifier, std::size_t threads,
                            std::size_t max_pending);
    ~AsyncCredentialVerifier();

    boost::asio::awaitable<std::optional<User>> verify(Credentials credentials);

  private:
    static boost::asio::awaitable<std::optional<User>> verify_blocking(
        std::shared_ptr<CredentialVerifier> verifier, Credentials credentials);

    std::shared_ptr<CredentialVerifier> verifier_;
    boost::asio::thread_pool pool_;
    std::size_t max_pending_;
    std::atomic<std::size_t> pending_{0};
};

}  // namespace ecf::standalone
