#include "auth/flavour_check.hpp"

#include <algorithm>

namespace ecf::auth {
namespace {

namespace datalog = biscuit::datalog;

bool body_reads(const datalog::Rule& rule, const std::set<std::string>& names) {
    return std::any_of(rule.body.begin(), rule.body.end(),
                       [&](const datalog::Predicate& p) { return names.count(p.name) > 0; });
}

}  // namespace

FlavourDependence::FlavourDependence(const biscuit::Biscuit& token)
    : token_(token), derived_{kPredicate} {
    // Names only, whatever a rule's scope or arity: at worst a check is taken to depend on the
    // flavour when it does not, which costs a second authorization, never a wrong answer.
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& block : token_.blocks()) {
            for (const auto& rule : block.code.rules) {
                if (!derived_.count(rule.head.name) && body_reads(rule, derived_)) {
                    derived_.insert(rule.head.name);
                    grew = true;
                }
            }
        }
    }
}

bool FlavourDependence::reads_flavour(const datalog::Check& check) const {
    return std::any_of(check.queries.begin(), check.queries.end(),
                       [&](const datalog::Query& q) { return body_reads(q, derived_); });
}

bool FlavourDependence::refused_only_on_flavour(const biscuit::Error& error) const {
    if (error.logic() != biscuit::LogicError::Unauthorized) return false;
    const auto& policy = error.policy();
    if (!policy || policy->kind != biscuit::MatchedPolicy::Kind::Allow) return false;
    const auto& checks = error.failed_checks();
    return !checks.empty() &&
           std::all_of(checks.begin(), checks.end(),
                       [&](const biscuit::FailedCheck& c) { return reads_flavour(c.check); });
}

bool FlavourDependence::has_flavour_checks() const {
    for (const auto& block : token_.blocks()) {
        for (const auto& check : block.code.checks) {
            if (reads_flavour(check)) return true;
        }
    }
    return false;
}

}  // namespace ecf::auth
