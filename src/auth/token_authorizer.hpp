#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/credentials.hpp"

namespace ecf::auth {

// What a request asks for, stated to the token as authorizer facts so that an attenuated token
// can narrow itself (README "Narrowing a token"): operation("execute"), function(<id>),
// app_requirement(<id>), flavour("<name>"), mode("sync"|"async"). Only what is known when the
// token is checked is stated; a check on a fact not stated fails, except for `flavour` when
// `flavour_follows` is set (below).
struct RequestFacts {
    std::optional<std::string> operation = std::nullopt;
    std::optional<std::int64_t> function_id = std::nullopt;
    std::optional<std::int64_t> app_requirement_id = std::nullopt;
    std::optional<std::string> flavour = std::nullopt;
    std::optional<std::string> mode = std::nullopt;
    // An execution's first authorization: the flavour is in the APP_REQUIREMENT, which is read
    // with the credentials this authorization yields, so it is not known yet. With this set and
    // `flavour` unset, a token refused only by checks that read `flavour` (and whose allow policy
    // matched) is not refused: its Authorization says flavour_pending, and the caller must
    // authorize again with `flavour` stated before it acts on the request.
    bool flavour_follows = false;
};

// A successful authorization.
struct Authorization {
    // The authority block's user and password.
    Credentials credentials;
    // Only with RequestFacts::flavour_follows: the token has checks on `flavour` that are not
    // decided yet. The request is not authorized until authorize_request, called again with the
    // same facts and `flavour` stated, succeeds. False for a token without checks on `flavour`,
    // which then needs no second authorization.
    bool flavour_pending = false;
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
    // not state them authorizes as above (never pending): a token narrowed by checks on them
    // then fails them.
    virtual boost::asio::awaitable<Authorization> authorize_request(std::string_view token,
                                                                    const RequestFacts& request) {
        static_cast<void>(request);
        // Named first: GCC 12 destroys a co_await's result twice inside a braced initializer.
        Credentials credentials = co_await authorize(token);
        co_return Authorization{std::move(credentials)};
    }
};

}  // namespace ecf::auth
