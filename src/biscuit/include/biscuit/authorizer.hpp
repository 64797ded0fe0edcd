#pragma once

// Authorizes a verified token against the authorizer's own facts, rules, checks and policies
// (spec "Authorizer"). One Authorizer serves one request; it is cheap to build.
//
//   biscuit::Authorizer authorizer;
//   authorizer.add_token(token);
//   authorizer.add_code("time({now}); allow if user($u);", {.terms = {{"now", now}}});
//   std::size_t policy = authorizer.authorize();   // throws biscuit::Error when refused
//   auto facts = authorizer.query("data($u) <- user($u) trusting authority");

#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/ast.hpp>
#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace biscuit {

class Authorizer {
  public:
    // Facts, rules, checks and `allow if`/`deny if` policies, in the order given.
    Authorizer& add_code(std::string_view code, const datalog::Parameters& params = {});
    Authorizer& add_code(const datalog::AuthorizerCode& code);
    // The token to authorize; must have been verified against a root key (otherwise
    // Error{Format, "UnverifiedToken"} when authorizing). At most one token.
    Authorizer& add_token(const Biscuit& token);
    Authorizer& set_limits(const datalog::RunLimits& limits);

    // Index of the matching allow policy; throws biscuit::Error (FailedLogic with the failed
    // checks, Execution, RunLimit, Format) otherwise.
    std::size_t authorize();
    // As authorize(), without throwing.
    const datalog::AuthorizationOutcome& run();

    // The facts a rule produces over the evaluated world (runs the evaluation first if needed).
    std::vector<datalog::Fact> query(std::string_view rule, const datalog::Parameters& params = {});
    std::vector<datalog::Fact> query(const datalog::Rule& rule);

    const datalog::AuthorizerCode& code() const { return code_; }

  private:
    datalog::AuthorizerCode code_;
    std::optional<Biscuit> token_;
    datalog::RunLimits limits_;
    std::optional<datalog::AuthorizationOutcome> outcome_;
};

}  // namespace biscuit
