#include <biscuit/block_builder.hpp>

namespace biscuit {

BlockBuilder& BlockBuilder::add_code(std::string_view code, const datalog::Parameters& params) {
    datalog::BlockCode parsed = datalog::parse_block(code, params);
    for (auto& f : parsed.facts) code_.facts.push_back(std::move(f));
    for (auto& r : parsed.rules) code_.rules.push_back(std::move(r));
    for (auto& c : parsed.checks) code_.checks.push_back(std::move(c));
    for (auto& s : parsed.scopes) code_.scopes.push_back(std::move(s));
    return *this;
}

BlockBuilder& BlockBuilder::add_fact(datalog::Fact fact) {
    code_.facts.push_back(std::move(fact));
    return *this;
}

BlockBuilder& BlockBuilder::add_rule(datalog::Rule rule) {
    code_.rules.push_back(std::move(rule));
    return *this;
}

BlockBuilder& BlockBuilder::add_check(datalog::Check check) {
    code_.checks.push_back(std::move(check));
    return *this;
}

BlockBuilder& BlockBuilder::set_context(std::string context) {
    context_ = std::move(context);
    return *this;
}

}  // namespace biscuit
