#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "core/credentials.hpp"

namespace ecf::auth {

// Turns a device's token into OpenNebula credentials.
class TokenAuthorizer {
public:
    virtual ~TokenAuthorizer() = default;

    // Verifies the Biscuit token (base64) against the issuer's root key, authorizes it with the
    // authorizer of contract §2, and returns the authority block's user and password.
    // Throws ecf::Error(Unauthorized) with a reason that never quotes the token.
    virtual boost::asio::awaitable<Credentials> authorize(std::string_view token) = 0;
};

}  // namespace ecf::auth
