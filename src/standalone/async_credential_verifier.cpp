#include "standalone/async_credential_verifier.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "core/error.hpp"

namespace ecf::standalone {

namespace asio = boost::asio;

namespace {

[[noreturn]] void too_many(const char* whose, std::chrono::milliseconds wait) {
    const auto seconds = std::max<std::int64_t>(1, (wait.count() + 999) / 1000);
    throw Error(ErrorKind::TooManyRequests,
                std::string("too many failed password checks ") + whose + ", retry later",
                std::chrono::seconds(seconds));
}

}  // namespace

AsyncCredentialVerifier::AsyncCredentialVerifier(std::shared_ptr<CredentialVerifier> verifier,
                                                 std::size_t threads, std::size_t max_pending,
                                                 Limits limits)
    : verifier_(std::move(verifier)),
      pool_(std::max<std::size_t>(threads, 1)),
      max_pending_(max_pending),
      per_address_(limits.per_address),
      per_user_(limits.per_user) {}

AsyncCredentialVerifier::~AsyncCredentialVerifier() {
    pool_.stop();
    pool_.join();
}

std::size_t AsyncCredentialVerifier::default_threads() {
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

// A plain function rather than a capturing lambda: its arguments live in the coroutine frame.
asio::awaitable<std::optional<User>> AsyncCredentialVerifier::verify_blocking(
    std::shared_ptr<CredentialVerifier> verifier, Credentials credentials) {
    co_return verifier->verify(credentials);
}

asio::awaitable<std::optional<User>> AsyncCredentialVerifier::verify(Credentials credentials,
                                                                     std::string peer) {
    if (auto user = verifier_->verify_remembered(credentials)) co_return user;

    // Tokens are taken before the hash, so that many concurrent wrong guesses cannot all pass
    // the limit before the first of them has failed.
    const auto now = KeyedTokenBuckets::Clock::now();
    if (!peer.empty()) {
        if (const auto wait = per_address_.try_take(peer, now))
            too_many("from this address", *wait);
    }
    if (const auto wait = per_user_.try_take(credentials.user, now)) {
        if (!peer.empty()) per_address_.give_back(peer, now);
        too_many("for this user", *wait);
    }
    struct Tokens {
        AsyncCredentialVerifier& self;
        const std::string& peer;
        std::string user;
        bool keep = false;  // a failed check keeps its tokens
        ~Tokens() {
            if (keep) return;
            const auto later = KeyedTokenBuckets::Clock::now();
            if (!peer.empty()) self.per_address_.give_back(peer, later);
            self.per_user_.give_back(user, later);
        }
    } tokens{*this, peer, credentials.user};

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
    auto user = co_await asio::co_spawn(pool_.get_executor(),
                                        verify_blocking(verifier_, std::move(credentials)),
                                        asio::use_awaitable);
    tokens.keep = !user.has_value();
    co_return user;
}

}  // namespace ecf::standalone
