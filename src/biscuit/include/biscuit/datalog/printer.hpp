#pragma once

// Canonical text of Datalog items, as the reference implementation prints them (failed-check
// errors carry this text). Everything printed parses back to the same value.

#include <biscuit/datalog/ast.hpp>
#include <string>

namespace biscuit::datalog {

std::string to_string(const Term& term);
std::string to_string(const Predicate& predicate);
std::string to_string(const Expression& expression);
std::string to_string(const Scope& scope);
std::string to_string(const PublicKey& key);  // `ed25519/<lowercase hex>`
std::string to_string(const Rule& rule);      // `head <- body[ trusting ...]`
std::string to_string(const Check& check);    // `check if q1 or q2`
std::string to_string(const Policy& policy);  // `allow if ...`

// Whole programs, one statement per line, each ending with `;`.
std::string to_string(const BlockCode& block);
std::string to_string(const AuthorizerCode& code);

}  // namespace biscuit::datalog
