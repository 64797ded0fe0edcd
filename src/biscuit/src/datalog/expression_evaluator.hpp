#pragma once

// The expression virtual machine (spec "Expressions"): postfix ops over interned values.

#include <memory>
#include <unordered_map>
#include <vector>

#include "compiled_rule.hpp"
#include "value_store.hpp"
#include "work_meter.hpp"

namespace re2 {
class RE2;
}

namespace biscuit::datalog::internal {

// Variable bindings of one rule application: values[i] is meaningful when bound[i].
struct Bindings {
    std::vector<Value> values;
    std::vector<std::uint8_t> bound;
};

class ExpressionEvaluator {
  public:
    // Every operation and every byte it handles is charged to `meter`; no operation builds a
    // value larger than `max_value_bytes`.
    ExpressionEvaluator(ValueStore& store, WorkMeter& meter, std::size_t max_value_bytes);
    ~ExpressionEvaluator();

    // Throws biscuit::Error{Execution, ...} on a type error, an overflow, an unbound variable.
    Value evaluate(const CompiledRule& rule, const std::vector<CompiledOp>& ops,
                   Bindings& bindings);

  private:
    Value binary(const CompiledRule& rule, BinaryOp op, Value left, Value right,
                 Bindings& bindings);
    Value unary(UnaryOp op, Value v);
    Value try_or(const CompiledRule& rule, Value left, Value right, Bindings& bindings);
    bool regex_match(std::uint64_t text, std::uint64_t pattern);
    Value run_closure(const CompiledRule& rule, std::uint32_t closure, const Value* argument,
                      Bindings& bindings);

    // Throws Error{Execution, "ValueTooLarge"} when a result of `bytes` may not be built.
    void admit(std::size_t bytes) const;
    bool contains(const std::string& text, const std::string& part);

    ValueStore& store_;
    WorkMeter& meter_;
    std::size_t max_value_bytes_;
    // Compiled patterns by symbol id; bounded so hostile tokens cannot grow it without limit.
    std::unordered_map<std::uint64_t, std::unique_ptr<re2::RE2>> regexes_;
    std::vector<Value> stack_;
    int depth_ = 0;
};

}  // namespace biscuit::datalog::internal
