#include "auth/expiry_check.hpp"

#include <algorithm>
#include <string>
#include <variant>

namespace ecf::auth {
namespace {

namespace datalog = biscuit::datalog;

bool is_comparison(datalog::BinaryOp op) {
    using Op = datalog::BinaryOp;
    switch (op) {
        case Op::LessThan:
        case Op::GreaterThan:
        case Op::LessOrEqual:
        case Op::GreaterOrEqual:
        case Op::Equal:
        case Op::NotEqual:
        case Op::HeterogeneousEqual:
        case Op::HeterogeneousNotEqual:
            return true;
        default:
            return false;
    }
}

// An expression that compares `$var` with a date literal somewhere in it.
bool compares_with_date(const datalog::Expression& e, const std::string& var) {
    bool variable = false, date = false, comparison = false;
    for (const auto& op : e.ops) {
        if (const auto* term = std::get_if<datalog::Term>(&op.value)) {
            const auto* v = std::get_if<datalog::Variable>(&term->value);
            variable = variable || (v && v->name == var);
            date = date || std::holds_alternative<datalog::Date>(term->value);
        } else if (const auto* binary = std::get_if<datalog::BinaryOp>(&op.value)) {
            comparison = comparison || is_comparison(*binary);
        }
    }
    return variable && date && comparison;
}

bool reads_time(const datalog::Query& query) {
    for (const auto& predicate : query.body) {
        if (predicate.name != "time" || predicate.terms.size() != 1) continue;
        const auto* variable = std::get_if<datalog::Variable>(&predicate.terms[0].value);
        if (!variable) continue;
        if (std::any_of(query.expressions.begin(), query.expressions.end(),
                        [&](const auto& e) { return compares_with_date(e, variable->name); }))
            return true;
    }
    return false;
}

}  // namespace

bool is_time_bound(const datalog::Check& check) {
    return std::any_of(check.queries.begin(), check.queries.end(), reads_time);
}

bool failed_on_time(const biscuit::Error& error) {
    const auto& checks = error.failed_checks();
    return std::any_of(checks.begin(), checks.end(),
                       [](const biscuit::FailedCheck& c) { return is_time_bound(c.check); });
}

}  // namespace ecf::auth
