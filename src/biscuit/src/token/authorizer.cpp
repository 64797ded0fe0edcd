#include <biscuit/authorizer.hpp>

namespace biscuit {

Authorizer& Authorizer::add_code(std::string_view code, const datalog::Parameters& params) {
    return add_code(datalog::parse_authorizer(code, params));
}

Authorizer& Authorizer::add_code(const datalog::AuthorizerCode& code) {
    code_.facts.insert(code_.facts.end(), code.facts.begin(), code.facts.end());
    code_.rules.insert(code_.rules.end(), code.rules.begin(), code.rules.end());
    code_.checks.insert(code_.checks.end(), code.checks.begin(), code.checks.end());
    code_.policies.insert(code_.policies.end(), code.policies.begin(), code.policies.end());
    code_.scopes.insert(code_.scopes.end(), code.scopes.begin(), code.scopes.end());
    outcome_.reset();
    return *this;
}

Authorizer& Authorizer::add_token(const Biscuit& token) {
    if (token_)
        throw Error(ErrorKind::FailedLogic, "AuthorizerNotEmpty", "a token is already added");
    token_ = token;
    outcome_.reset();
    return *this;
}

Authorizer& Authorizer::set_limits(const datalog::RunLimits& limits) {
    limits_ = limits;
    outcome_.reset();
    return *this;
}

const datalog::AuthorizationOutcome& Authorizer::run() {
    if (!outcome_) {
        static const std::vector<datalog::TokenBlock> no_blocks;
        if (token_ && !token_->verified())
            throw Error(ErrorKind::Format, "UnverifiedToken",
                        "the token was parsed without a root key");
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
