#pragma once

#include <biscuit/crypto.hpp>

#include "auth/token_authorizer.hpp"

namespace ecf::standalone {

// Authorizes tokens against standalone mode's own root key, with the original ECF's authorizer
// (contract §2): `time(<now>); allow if user($u), password($p);`, then reads the authority
// block's user and password.
class LocalTokenAuthorizer : public auth::TokenAuthorizer {
  public:
    explicit LocalTokenAuthorizer(biscuit::PublicKey root);

    boost::asio::awaitable<Credentials> authorize(std::string_view token) override;
    Credentials authorize_now(std::string_view token) const;

  private:
    biscuit::PublicKey root_;
};

}  // namespace ecf::standalone
