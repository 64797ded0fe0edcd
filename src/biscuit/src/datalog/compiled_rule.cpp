#include "compiled_rule.hpp"

#include <biscuit/error.hpp>
#include <map>
#include <string>

namespace biscuit::datalog::internal {
namespace {

class RuleCompiler {
  public:
    RuleCompiler(ValueStore& store, CompiledRule& out) : store_(store), out_(out) {}

    std::uint32_t variable(const std::string& name) {
        auto [it, inserted] = ids_.try_emplace(name, static_cast<std::uint32_t>(ids_.size()));
        return it->second;
    }

    Value term(const Term& t) {
        return store_.from_term(t, [this](const std::string& n) { return variable(n); });
    }

    CompiledPredicate predicate(const Predicate& p) {
        CompiledPredicate c;
        c.name = store_.intern_string(p.name);
        c.terms.reserve(p.terms.size());
        for (const auto& t : p.terms) c.terms.push_back(term(t));
        return c;
    }

    std::vector<CompiledOp> ops(const std::vector<Op>& source) {
        std::vector<CompiledOp> out;
        out.reserve(source.size());
        for (const Op& op : source) {
            CompiledOp c;
            if (const auto* t = std::get_if<Term>(&op.value)) {
                c.tag = CompiledOp::Tag::Value;
                c.value = term(*t);
            } else if (const auto* u = std::get_if<UnaryOp>(&op.value)) {
                c.tag = CompiledOp::Tag::Unary;
                c.op = static_cast<std::uint8_t>(*u);
            } else if (const auto* b = std::get_if<BinaryOp>(&op.value)) {
                c.tag = CompiledOp::Tag::Binary;
                c.op = static_cast<std::uint8_t>(*b);
            } else {
                const auto& closure = std::get<Closure>(op.value);
                CompiledClosure cc;
                for (const auto& p : closure.params) {
                    // Closure parameters may not shadow a variable of the rule.
                    if (ids_.count(p)) throw Error(ErrorKind::Execution, "ShadowedVariable");
                    cc.params.push_back(variable(p));
                }
                cc.ops = ops(closure.ops);
                c.tag = CompiledOp::Tag::Closure;
                c.closure = static_cast<std::uint32_t>(out_.closures.size());
                out_.closures.push_back(std::move(cc));
            }
            out.push_back(c);
        }
        return out;
    }

    std::uint32_t count() const { return static_cast<std::uint32_t>(ids_.size()); }

  private:
    ValueStore& store_;
    CompiledRule& out_;
    std::map<std::string, std::uint32_t, std::less<>> ids_;
};

}  // namespace

CompiledRule compile_rule(const Rule& rule, ValueStore& store) {
    CompiledRule out;
    RuleCompiler compiler(store, out);
    out.body.reserve(rule.body.size());
    for (const auto& p : rule.body) out.body.push_back(compiler.predicate(p));
    out.head = compiler.predicate(rule.head);
    for (const auto& e : rule.expressions) out.expressions.push_back({compiler.ops(e.ops)});
    out.variable_count = compiler.count();
    return out;
}

}  // namespace biscuit::datalog::internal
