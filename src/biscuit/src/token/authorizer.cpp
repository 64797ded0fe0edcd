#include <algorithm>
#include <biscuit/authorizer.hpp>

namespace biscuit {

namespace {

template <typename T>
const T& term_of(const datalog::Term& term, const char* type) {
    const auto* value = std::get_if<T>(&term.value);
    if (!value)
        throw Error(ErrorKind::ConversionError, "ConversionError", std::string("expected ") + type);
    return *value;
}

}  // namespace

void convert_term(const datalog::Term& term, std::int64_t& out) {
    out = term_of<std::int64_t>(term, "an integer");
}
void convert_term(const datalog::Term& term, std::string& out) {
    out = term_of<std::string>(term, "a string");
}
void convert_term(const datalog::Term& term, bool& out) {
    out = term_of<bool>(term, "a boolean");
}
void convert_term(const datalog::Term& term, datalog::Date& out) {
    out = term_of<datalog::Date>(term, "a date");
}
void convert_term(const datalog::Term& term, std::chrono::system_clock::time_point& out) {
    const auto seconds = term_of<datalog::Date>(term, "a date").seconds;
    out = std::chrono::system_clock::time_point(
        std::chrono::seconds(static_cast<std::int64_t>(seconds)));
}
void convert_term(const datalog::Term& term, Bytes& out) {
    out = term_of<Bytes>(term, "bytes");
}
void convert_term(const datalog::Term& term, datalog::Term& out) {
    out = term;
}

void Authorizer::throw_arity(std::size_t wanted, std::size_t found) {
    throw Error(
        ErrorKind::ConversionError, "ConversionError",
        "expected facts of " + std::to_string(wanted) + " terms, got " + std::to_string(found));
}

Authorizer& Authorizer::changed() {
    outcome_.reset();
    return *this;
}

Authorizer& Authorizer::add_code(std::string_view code, const datalog::Parameters& params) {
    return add_code(datalog::parse_authorizer(code, params));
}

Authorizer& Authorizer::add_code(const datalog::AuthorizerCode& code) {
    code_.facts.insert(code_.facts.end(), code.facts.begin(), code.facts.end());
    code_.rules.insert(code_.rules.end(), code.rules.begin(), code.rules.end());
    code_.checks.insert(code_.checks.end(), code.checks.begin(), code.checks.end());
    code_.policies.insert(code_.policies.end(), code.policies.begin(), code.policies.end());
    code_.scopes.insert(code_.scopes.end(), code.scopes.begin(), code.scopes.end());
    return changed();
}

Authorizer& Authorizer::add_fact(std::string_view fact, const datalog::Parameters& params) {
    return add_fact(datalog::parse_fact(fact, params));
}
Authorizer& Authorizer::add_fact(datalog::Fact fact) {
    code_.facts.push_back(std::move(fact));
    return changed();
}
Authorizer& Authorizer::add_rule(std::string_view rule, const datalog::Parameters& params) {
    return add_rule(datalog::parse_rule(rule, params));
}
Authorizer& Authorizer::add_rule(datalog::Rule rule) {
    code_.rules.push_back(std::move(rule));
    return changed();
}
Authorizer& Authorizer::add_check(std::string_view check, const datalog::Parameters& params) {
    return add_check(datalog::parse_check(check, params));
}
Authorizer& Authorizer::add_check(datalog::Check check) {
    code_.checks.push_back(std::move(check));
    return changed();
}
Authorizer& Authorizer::add_policy(std::string_view policy, const datalog::Parameters& params) {
    return add_policy(datalog::parse_policy(policy, params));
}
Authorizer& Authorizer::add_policy(datalog::Policy policy) {
    code_.policies.push_back(std::move(policy));
    return changed();
}

Authorizer& Authorizer::set_time(std::chrono::system_clock::time_point now) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    return add_fact(datalog::Fact{
        "time",
        {datalog::Term::date(static_cast<std::uint64_t>(std::max<std::int64_t>(0, seconds)))}});
}

Authorizer& Authorizer::add_token(const Biscuit& token) {
    if (token_) throw Error(LogicError::AuthorizerNotEmpty, "a token is already added");
    token_ = token;
    return changed();
}

Authorizer& Authorizer::set_limits(const datalog::RunLimits& limits) {
    limits_ = limits;
    return changed();
}

const datalog::AuthorizationOutcome& Authorizer::run() {
    if (!outcome_) {
        static const std::vector<datalog::TokenBlock> no_blocks;
        if (token_ && !token_->verified())
            throw Error(FormatError::UnverifiedToken, "the token was parsed without a root key");
        outcome_.emplace(datalog::authorize(token_ ? token_->blocks() : no_blocks, code_, limits_));
    }
    return *outcome_;
}

std::size_t Authorizer::authorize() {
    const auto& outcome = run();
    if (!outcome.ok()) throw *outcome.error();
    return outcome.policy_index();
}

std::vector<datalog::Fact> Authorizer::query(std::string_view rule,
                                             const datalog::Parameters& params) {
    return query(datalog::parse_rule(rule, params));
}

std::vector<datalog::Fact> Authorizer::query(const datalog::Rule& rule) {
    return run().query(rule);
}

}  // namespace biscuit
