#pragma once

#include <memory>

#include "auth/root_key_source.hpp"
#include "auth/token_authorizer.hpp"

namespace ecf::auth {

// Verifies Biscuit tokens against the root key of `keys`, authorizes them with the original
// ECF's authorizer (contract §2) and returns the authority block's user and password. On a
// signature failure the key is reloaded once (rate-limited by the source) and the token tried
// again, in case the issuer rotated its key.
class BiscuitTokenAuthorizer : public TokenAuthorizer {
  public:
    explicit BiscuitTokenAuthorizer(std::shared_ptr<RootKeySource> keys);

    boost::asio::awaitable<Credentials> authorize(std::string_view token) override;

  private:
    std::shared_ptr<RootKeySource> keys_;
};

}  // namespace ecf::auth
