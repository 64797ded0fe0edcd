#include "compiled_rule.hpp"

#include <algorithm>
#include <map>
#include <set>
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
                // A parameter may not shadow a variable bound by the body or by an enclosing
                // closure (as the reference, which compares with the bound variables); sibling
                // closures may reuse a name.
                for (const auto& p : closure.params) {
                    if (body_variables_.count(p) ||
                        std::find(active_.begin(), active_.end(), p) != active_.end())
                        cc.shadows = true;  // an error once applied, as in the reference
                    cc.params.push_back(variable(p));
                }
                const std::size_t active_mark = active_.size();
                active_.insert(active_.end(), closure.params.begin(), closure.params.end());
                cc.ops = ops(closure.ops);
                active_.resize(active_mark);
                c.tag = CompiledOp::Tag::Closure;
                c.closure = static_cast<std::uint32_t>(out_.closures.size());
                out_.closures.push_back(std::move(cc));
            }
            out.push_back(c);
        }
        return out;
    }

    std::uint32_t count() const { return static_cast<std::uint32_t>(ids_.size()); }

    // Called once the body is compiled: its variables are the ones bound when expressions run.
    void mark_body_variables() {
        for (const auto& [name, id] : ids_) body_variables_.insert(name);
    }

  private:
    ValueStore& store_;
    CompiledRule& out_;
    std::map<std::string, std::uint32_t, std::less<>> ids_;
    std::set<std::string, std::less<>> body_variables_;
    std::vector<std::string> active_;  // parameters of the closures being compiled
};

}  // namespace

CompiledRule compile_rule(const Rule& rule, ValueStore& store) {
    CompiledRule out;
    RuleCompiler compiler(store, out);
    out.body.reserve(rule.body.size());
    for (const auto& p : rule.body) out.body.push_back(compiler.predicate(p));
    compiler.mark_body_variables();
    out.head = compiler.predicate(rule.head);
    for (const auto& e : rule.expressions) out.expressions.push_back({compiler.ops(e.ops)});
    out.variable_count = compiler.count();
    return out;
}

}  // namespace biscuit::datalog::internal
