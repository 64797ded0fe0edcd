// Uses the installed library through its public headers only: mint, attenuate, parse with a
// root key chosen by id, authorize, query typed values, and tell a refusal by its variant.
#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <cstdio>
#include <string>

int main() {
    using biscuit::datalog::Term;
    const auto root = biscuit::KeyPair::generate();
    const auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder(R"(user("alice");)"), 7)
                           .attenuate(biscuit::BlockBuilder(R"(check if operation("read");)"));

    biscuit::RootKeySet roots;
    roots.add(7, root.public_key());
    const auto parsed = biscuit::Biscuit::from_base64(token.to_base64(), roots);

    biscuit::Authorizer allowed;
    allowed.add_token(parsed)
        .add_fact("operation({op})", {.terms = {{"op", Term::string("read")}}})
        .add_policy("allow if user($u)");
    allowed.authorize();
    const auto users = allowed.query_as<std::string>("u($u) <- user($u) trusting authority");
    if (users.size() != 1 || std::get<0>(users[0]) != "alice") return 1;

    biscuit::Authorizer refused;
    refused.add_token(parsed).add_fact(R"(operation("write"))").add_policy("allow if user($u)");
    try {
        refused.authorize();
        return 2;
    } catch (const biscuit::Error& e) {
        if (e.logic() != biscuit::LogicError::Unauthorized || e.failed_checks().size() != 1)
            return 3;
    }
    std::puts("biscuit consumer: ok");
    return 0;
}
