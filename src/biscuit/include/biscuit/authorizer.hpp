#pragma once

// Authorizes a verified token against the authorizer's own facts, rules, checks and policies
// (spec "Authorizer"). Built like the reference's AuthorizerBuilder: each add_* appends, in
// order; Datalog text takes `{name}` parameters as the reference's `authorizer!` macro does.
//
//   biscuit::Authorizer authorizer;
//   authorizer.add_token(token)
//       .set_time()                                          // time(<now>)
//       .add_fact("operation({op})", {.terms = {{"op", Term::string("read")}}})
//       .add_check("check if user($u)")
//       .add_policy("allow if user($u), password($p)");
//   std::size_t policy = authorizer.authorize();   // throws biscuit::Error when refused
//   for (auto [user] : authorizer.query_as<std::string>("u($u) <- user($u) trusting authority"))
//
// Thread-safety: an Authorizer is a mutable builder for one request: use it from one thread at
// a time (distinct Authorizers are independent). The outcome it returns (run()) may be queried
// from several threads (see datalog::AuthorizationOutcome).

#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/ast.hpp>
#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace biscuit {

// Conversions of query results to C++ values (the reference's TryFrom<Term>); a term of another
// type is Error{ConversionError}. Date converts to std::chrono::system_clock::time_point too.
void convert_term(const datalog::Term& term, std::int64_t& out);
void convert_term(const datalog::Term& term, std::string& out);
void convert_term(const datalog::Term& term, bool& out);
void convert_term(const datalog::Term& term, datalog::Date& out);
void convert_term(const datalog::Term& term, std::chrono::system_clock::time_point& out);
void convert_term(const datalog::Term& term, Bytes& out);
void convert_term(const datalog::Term& term, datalog::Term& out);

class Authorizer {
  public:
    // Facts, rules, checks and `allow if`/`deny if` policies, in the order given.
    Authorizer& add_code(std::string_view code, const datalog::Parameters& params = {});
    Authorizer& add_code(const datalog::AuthorizerCode& code);
    // Single items, as text (without the trailing `;`) or as AST values.
    Authorizer& add_fact(std::string_view fact, const datalog::Parameters& params = {});
    Authorizer& add_fact(datalog::Fact fact);
    Authorizer& add_rule(std::string_view rule, const datalog::Parameters& params = {});
    Authorizer& add_rule(datalog::Rule rule);
    Authorizer& add_check(std::string_view check, const datalog::Parameters& params = {});
    Authorizer& add_check(datalog::Check check);
    Authorizer& add_policy(std::string_view policy, const datalog::Parameters& params = {});
    Authorizer& add_policy(datalog::Policy policy);
    // The fact `time(<date>)` at `now` (whole seconds), as the reference's `time()`.
    Authorizer& set_time(
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
    // The token to authorize; must have been verified against a root key (otherwise
    // Error{FormatError::UnverifiedToken} when authorizing). At most one token
    // (Error{LogicError::AuthorizerNotEmpty}).
    Authorizer& add_token(const Biscuit& token);
    Authorizer& set_limits(const datalog::RunLimits& limits);

    // Index of the matching allow policy; throws biscuit::Error (FailedLogic with the failed
    // checks, Execution, RunLimit, Format) otherwise.
    std::size_t authorize();
    // As authorize(), without throwing for a refusal: the outcome holds the error.
    const datalog::AuthorizationOutcome& run();

    // The facts a rule produces over the evaluated world (runs the evaluation first if needed).
    std::vector<datalog::Fact> query(std::string_view rule, const datalog::Parameters& params = {});
    std::vector<datalog::Fact> query(const datalog::Rule& rule);
    // The same, each fact's terms converted to T... (the head's arity must be sizeof...(T)):
    //   for (auto [user, expiry] : a.query_as<std::string, datalog::Date>("d($u, $e) <- ..."))
    template <typename... T>
    std::vector<std::tuple<T...>> query_as(std::string_view rule,
                                           const datalog::Parameters& params = {}) {
        std::vector<std::tuple<T...>> out;
        for (const auto& fact : query(rule, params)) {
            if (fact.terms.size() != sizeof...(T)) throw_arity(sizeof...(T), fact.terms.size());
            std::tuple<T...> row;
            std::apply(
                [&](auto&... value) {
                    std::size_t i = 0;
                    (convert_term(fact.terms[i++], value), ...);
                },
                row);
            out.push_back(std::move(row));
        }
        return out;
    }

    const datalog::AuthorizerCode& code() const { return code_; }

  private:
    [[noreturn]] static void throw_arity(std::size_t wanted, std::size_t found);
    Authorizer& changed();

    datalog::AuthorizerCode code_;
    std::optional<Biscuit> token_;
    datalog::RunLimits limits_;
    std::optional<datalog::AuthorizationOutcome> outcome_;
};

}  // namespace biscuit
