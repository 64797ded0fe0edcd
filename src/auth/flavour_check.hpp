#pragma once

#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/ast.hpp>
#include <biscuit/error.hpp>
#include <set>
#include <string>

namespace ecf::auth {

// Which of a token's checks depend on the `flavour` fact, read from their structure (the
// predicate names of their bodies), never from their printed text. An execution's first
// authorization runs before the flavour is known (README "Narrowing a token"): these tell a
// refusal that stating the flavour may lift from any other, and a token that must be authorized
// again once the flavour is known.
class FlavourDependence {
  public:
    // The name of the fact an execution states once its APP_REQUIREMENT is read.
    static constexpr const char* kPredicate = "flavour";

    explicit FlavourDependence(const biscuit::Biscuit& token);

    // Whether `check` reads `flavour`, or a predicate that one of the token's rules derives
    // from it (directly or through other rules).
    bool reads_flavour(const biscuit::datalog::Check& check) const;

    // Whether `error` is a refusal whose allow policy matched and whose failed checks all read
    // `flavour`: stating the flavour may authorize the token.
    bool refused_only_on_flavour(const biscuit::Error& error) const;

    // Whether any check of the token reads `flavour`. One that passed without the flavour may
    // still fail once it is stated (`check all`, `reject if`, an expression that errors on its
    // value), so such a token is always authorized again with it.
    bool has_flavour_checks() const;

  private:
    const biscuit::Biscuit& token_;
    // `flavour` and the heads of the token's rules that read one of these, to a fixpoint.
    std::set<std::string> derived_;
};

}  // namespace ecf::auth
