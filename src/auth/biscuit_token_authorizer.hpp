#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "auth/revocation_list.hpp"
#include "auth/root_key_source.hpp"
#include "auth/token_authorizer.hpp"
#include "auth/verified_token_cache.hpp"

namespace ecf::auth {

// One request's time, facts and revocation list (defined where it is used).
struct AuthorizationContext;

struct BiscuitTokenAuthorizerOptions {
    // Verified tokens kept (config token_cache_entries); 0 verifies every request's token.
    std::size_t cache_entries = 10'000;
    // A token not in the cache is verified and authorized on a pool of this many threads, off
    // the caller's (HTTP I/O) thread: a costly token delays only other tokens.
    std::size_t verify_threads = 2;
    // Tokens waiting for that pool at once; beyond it the caller gets ecf::Error(Unavailable).
    std::size_t max_pending_verifications = 256;
    // Wall-clock budget of one token's Datalog evaluation. A real token takes microseconds; the
    // margin is for a loaded machine (tests under sanitizers give more).
    std::chrono::microseconds evaluation_time_limit = std::chrono::milliseconds(5);
    // Revoked tokens (config revocation_file); none when null.
    std::shared_ptr<RevocationList> revocations = nullptr;
    // The time the authorizer's `time(...)` fact states; tests move it.
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

// Verifies Biscuit tokens against the root key of `keys`, authorizes them with the original
// ECF's authorizer (contract §2) and returns the authority block's user and password. On a
// signature failure the key is reloaded once (rate-limited by the source) and the token tried
// again, in case the issuer rotated its key. A token verified once is kept in a
// VerifiedTokenCache; its authorization still runs on every request, on the caller's thread.
// Verification (and the first authorization) of a token not in the cache runs on a small pool.
class BiscuitTokenAuthorizer : public TokenAuthorizer {
  public:
    explicit BiscuitTokenAuthorizer(std::shared_ptr<RootKeySource> keys,
                                    BiscuitTokenAuthorizerOptions options = {});
    ~BiscuitTokenAuthorizer() override;

    boost::asio::awaitable<Credentials> authorize(std::string_view token) override;
    // An execution's two authorizations (RequestFacts::flavour_follows): the second finds the
    // token verified in the cache (unless evicted meanwhile), so it costs one Datalog run.
    boost::asio::awaitable<Authorization> authorize_request(std::string_view token,
                                                            const RequestFacts& request) override;

    VerifiedTokenCache::Counts cache_counts() const { return cache_->counts(); }

  private:
    // Verifies and authorizes on the pool; throws Error(Unavailable) when too many wait for it.
    boost::asio::awaitable<Authorization> verify_on_pool(
        std::string token, biscuit::PublicKey root,
        std::shared_ptr<const AuthorizationContext> context);

    std::shared_ptr<RootKeySource> keys_;
    std::function<std::chrono::system_clock::time_point()> clock_;
    std::shared_ptr<VerifiedTokenCache> cache_;
    std::shared_ptr<RevocationList> revocations_;
    std::chrono::microseconds evaluation_time_limit_;
    boost::asio::thread_pool pool_;
    std::size_t max_pending_;
    std::atomic<std::size_t> pending_{0};
};

}  // namespace ecf::auth
