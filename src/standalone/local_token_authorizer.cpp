#include "standalone/local_token_authorizer.hpp"

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/error.hpp>
#include <chrono>

#include "core/error.hpp"

namespace ecf::standalone {

LocalTokenAuthorizer::LocalTokenAuthorizer(biscuit::PublicKey root) : root_(std::move(root)) {}

Credentials LocalTokenAuthorizer::authorize_now(std::string_view token) const {
    using biscuit::datalog::Term;
    try {
        const auto parsed = biscuit::Biscuit::from_base64(token, root_);
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch());
        biscuit::datalog::Parameters parameters;
        parameters.terms.emplace("now", Term::date(static_cast<std::uint64_t>(now.count())));
        biscuit::Authorizer authorizer;
        authorizer.add_token(parsed);
        authorizer.add_code("time({now});\nallow if user($u), password($p);", parameters);
        authorizer.authorize();
        const auto facts =
            authorizer.query("credentials($u, $p) <- user($u), password($p) trusting authority");
        for (const auto& fact : facts) {
            const auto* user = std::get_if<std::string>(&fact.terms.at(0).value);
            const auto* password = std::get_if<std::string>(&fact.terms.at(1).value);
            if (user && password) return Credentials{*user, *password};
        }
    } catch (const biscuit::Error& e) {
        // The library's details never hold secret material, and this never quotes the token.
        throw Error(ErrorKind::Unauthorized, std::string("Token is not authorized: ") + e.what());
    }
    throw Error(ErrorKind::Unauthorized, "Token holds no user and password");
}

boost::asio::awaitable<Credentials> LocalTokenAuthorizer::authorize(std::string_view token) {
    co_return authorize_now(token);
}

}  // namespace ecf::standalone
