#include "standalone/async_credential_verifier.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"

namespace ecf::standalone {

namespace asio = boost::asio;

AsyncCredentialVerifier::AsyncCredentialVerifier(std::shared_ptr<CredentialVerifier> verifier,
                                                 std::size_t threads, std::size_t max_pending)
    : verifier_(std::move(verifier)), pool_(threads), max_pending_(max_pending) {}

AsyncCredentialVerifier::~AsyncCredentialVerifier() {
    pool_.stop();
    pool_.join();
}

// A plain function rather than a capturing lambda: its arguments live in the coroutine frame.
asio::awaitable<std::optional<User>> AsyncCredentialVerifier::verify_blocking(
    std::shared_ptr<CredentialVerifier> verifier, Credentials credentials) {
    co_return verifier->verify(credentials);
}

asio::awaitable<std::optional<User>> AsyncCredentialVerifier::verify(Credentials credentials) {
    if (auto user = verifier_->verify_remembered(credentials)) co_return user;
    if (pending_.fetch_add(1) >= max_pending_) {
        pending_.fetch_sub(1);
        throw Error(ErrorKind::Unavailable, "too many password checks at once, retry later");
    }
    struct Release {
        std::atomic<std::size_t>& pending;
        ~Release() { pending.fetch_sub(1); }
    } release{pending_};
    // co_spawn onto the pool and back: the hash runs there, this coroutine resumes on its own
    // executor with the result (or the exception).
    co_return co_await asio::co_spawn(pool_.get_executor(),
                                      verify_blocking(verifier_, std::move(credentials)),
                                      asio::use_awaitable);
}

}  // namespace ecf::standalone
