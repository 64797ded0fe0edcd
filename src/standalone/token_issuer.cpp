#include "standalone/token_issuer.hpp"

#include <biscuit/biscuit.hpp>
#include <biscuit/block_builder.hpp>

namespace ecf::standalone {

TokenIssuer::TokenIssuer(const RootKeyPair& keys, std::chrono::seconds lifetime)
    : root_(biscuit::PrivateKey::from_hex(keys.private_hex)), lifetime_(lifetime) {}

std::string TokenIssuer::issue(const std::string& user, const std::string& password) const {
    using biscuit::datalog::Term;
    const auto expiry = std::chrono::system_clock::now() + lifetime_;
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(expiry.time_since_epoch());
    // Parameters, never string pasting: a quote in a password cannot change the Datalog.
    biscuit::datalog::Parameters parameters;
    parameters.terms.emplace("name", Term::string(user));
    parameters.terms.emplace("password", Term::string(password));
    parameters.terms.emplace("expiration", Term::date(static_cast<std::uint64_t>(seconds.count())));
    const biscuit::BlockBuilder authority(
        "user({name});\n"
        "password({password});\n"
        "check if time($time), $time < {expiration};\n",
        parameters);
    return biscuit::Biscuit::mint(root_, authority).to_base64();
}

}  // namespace ecf::standalone
