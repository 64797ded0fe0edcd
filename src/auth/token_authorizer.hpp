#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/credentials.hpp"

namespace ecf::auth {

// What a request asks for, stated to the token as authorizer facts so that an attenuated token
// can narrow itself (README "Narrowing a token"): operation("execute"), function(<id>),
// app_requirement(<id>), flavour("<name>"), mode("sync"|"async"). Only what is known when the
// token is checked is stated; a check on a fact not stated fails.
struct RequestFacts {
    std::optional<std::string> operation = std::nullopt;
    std::optional<std::int64_t> function_id = std::nullopt;
    std::optional<std::int64_t> app_requirement_id = std::nullopt;
    std::optional<std::string> flavour = std::nullopt;
    std::optional<std::string> mode = std::nullopt;
};

// Turns a device's token into OpenNebula credentials.
class TokenAuthorizer {
  public:
    virtual ~TokenAuthorizer() = default;

    // Verifies the Biscuit token (base64) against the issuer's root key, authorizes it with the
    // authorizer of contract §2, and returns the authority block's user and password.
    // Throws ecf::Error(Unauthorized) with a reason that never quotes the token.
    virtual boost::asio::awaitable<Credentials> authorize(std::string_view token) = 0;

    // The same, with the request's facts added to the authorizer. An implementation that does
    // not state them authorizes as above: a token narrowed by checks on them then fails them.
    virtual boost::asio::awaitable<Credentials> authorize_request(std::string_view token,
                                                                  const RequestFacts& request) {
        static_cast<void>(request);
        return authorize(token);
    }
};

}  // namespace ecf::auth
