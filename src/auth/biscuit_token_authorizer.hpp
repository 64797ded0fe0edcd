#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "auth/root_key_source.hpp"
#include "auth/token_authorizer.hpp"
#include "auth/verified_token_cache.hpp"

namespace ecf::auth {

struct BiscuitTokenAuthorizerOptions {
    // Verified tokens kept (config token_cache_entries); 0 verifies every request's token.
    std::size_t cache_entries = 10'000;
    // The time the authorizer's `time(...)` fact states; tests move it.
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

// Verifies Biscuit tokens against the root key of `keys`, authorizes them with the original
// ECF's authorizer (contract §2) and returns the authority block's user and password. On a
// signature failure the key is reloaded once (rate-limited by the source) and the token tried
// again, in case the issuer rotated its key. A token verified once is kept in a
// VerifiedTokenCache; its authorization still runs on every request.
class BiscuitTokenAuthorizer : public TokenAuthorizer {
  public:
    explicit BiscuitTokenAuthorizer(std::shared_ptr<RootKeySource> keys,
                                    BiscuitTokenAuthorizerOptions options = {});

    boost::asio::awaitable<Credentials> authorize(std::string_view token) override;

    VerifiedTokenCache::Counts cache_counts() const { return cache_->counts(); }

  private:
    std::shared_ptr<RootKeySource> keys_;
    std::function<std::chrono::system_clock::time_point()> clock_;
    std::shared_ptr<VerifiedTokenCache> cache_;
};

}  // namespace ecf::auth
