#pragma once

// The Datalog text syntax of the reference implementation (`right($0, "read") <- ...;`).
// Parse errors are biscuit::Error{Language, "ParseError"} with a position, never echoing input
// beyond a short excerpt.

#include <biscuit/datalog/ast.hpp>
#include <map>
#include <string>
#include <string_view>

namespace biscuit::datalog {

// Named parameters `{name}` in the source text, substituted while parsing. A `{name}` in term
// position takes a term; in a `trusting` list it takes a public key. An unknown or unused
// parameter is a Language error ("UnknownParameter" / "UnusedParameter").
struct Parameters {
    // Default member initializers: `{.terms = {...}}` leaves the others out without a warning.
    std::map<std::string, Term, std::less<>> terms{};
    std::map<std::string, PublicKey, std::less<>> public_keys{};
    // The spec calls a rule whose head variables do not all appear in its body unsafe; the
    // parser rejects it (Language/UnsafeRule) unless this is set, e.g. to reproduce the samples'
    // deliberately invalid blocks (the engine still refuses them: FailedLogic/InvalidBlockRule).
    bool allow_unsafe_rules = false;
};

// Statements separated by `;`: facts, rules, checks, and a block-level `trusting ...;`.
BlockCode parse_block(std::string_view source, const Parameters& params = {});
// As parse_block, plus `allow if` / `deny if` policies.
AuthorizerCode parse_authorizer(std::string_view source, const Parameters& params = {});

// Single items (no trailing `;`).
Fact parse_fact(std::string_view source, const Parameters& params = {});
Rule parse_rule(std::string_view source, const Parameters& params = {});
Check parse_check(std::string_view source, const Parameters& params = {});
Policy parse_policy(std::string_view source, const Parameters& params = {});
Expression parse_expression(std::string_view source, const Parameters& params = {});
Term parse_term(std::string_view source, const Parameters& params = {});
// `ed25519/<hex>` or `secp256r1/<hex>`.
PublicKey parse_public_key(std::string_view source);

}  // namespace biscuit::datalog
