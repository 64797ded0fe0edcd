#pragma once

// The Datalog content of a block to mint or append: Datalog text (with `{name}` parameters)
// and/or AST items, accumulated in order.

#include <biscuit/datalog/ast.hpp>
#include <biscuit/datalog/parser.hpp>
#include <string_view>

namespace biscuit {

class BlockBuilder {
  public:
    BlockBuilder() = default;
    explicit BlockBuilder(std::string_view code, const datalog::Parameters& params = {}) {
        add_code(code, params);
    }

    // Parses `code` (facts, rules, checks, `trusting ...;`) and appends its items. Throws
    // Error{Language, ...} on a parse error.
    BlockBuilder& add_code(std::string_view code, const datalog::Parameters& params = {});
    BlockBuilder& add_fact(datalog::Fact fact);
    BlockBuilder& add_rule(datalog::Rule rule);
    BlockBuilder& add_check(datalog::Check check);
    BlockBuilder& set_context(std::string context);

    const datalog::BlockCode& code() const { return code_; }
    const std::string& context() const { return context_; }

  private:
    datalog::BlockCode code_;
    std::string context_;
};

}  // namespace biscuit
