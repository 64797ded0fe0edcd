#include "format/block_version.hpp"

#include <algorithm>
#include <biscuit/error.hpp>
#include <variant>

namespace biscuit::format {
namespace {

using namespace datalog;

std::uint32_t term_version(const Term& term) {
    return std::visit(
        [](const auto& v) -> std::uint32_t {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Null> || std::is_same_v<T, Array> ||
                          std::is_same_v<T, Map>) {
                return kDatalog33;
            } else if constexpr (std::is_same_v<T, Set>) {
                std::uint32_t out = kMinBlockVersion;
                for (const auto& item : v.items) out = std::max(out, term_version(item));
                return out;
            } else {
                return kMinBlockVersion;
            }
        },
        term.value);
}

std::uint32_t ops_version(const std::vector<Op>& ops) {
    std::uint32_t out = kMinBlockVersion;
    for (const auto& op : ops) {
        if (const auto* t = std::get_if<Term>(&op.value)) {
            out = std::max(out, term_version(*t));
        } else if (const auto* u = std::get_if<UnaryOp>(&op.value)) {
            if (*u == UnaryOp::TypeOf) out = std::max(out, kDatalog33);
        } else if (const auto* b = std::get_if<BinaryOp>(&op.value)) {
            switch (*b) {
                case BinaryOp::BitwiseAnd:
                case BinaryOp::BitwiseOr:
                case BinaryOp::BitwiseXor:
                case BinaryOp::NotEqual:
                    out = std::max(out, kDatalog31);
                    break;
                case BinaryOp::HeterogeneousEqual:
                case BinaryOp::HeterogeneousNotEqual:
                case BinaryOp::LazyAnd:
                case BinaryOp::LazyOr:
                case BinaryOp::All:
                case BinaryOp::Any:
                case BinaryOp::Get:
                case BinaryOp::TryOr:
                    out = std::max(out, kDatalog33);
                    break;
                default:
                    break;
            }
        } else if (const auto* c = std::get_if<Closure>(&op.value)) {
            out = std::max({out, kDatalog33, ops_version(c->ops)});
        }
    }
    return out;
}

std::uint32_t predicate_version(const Predicate& p) {
    std::uint32_t out = kMinBlockVersion;
    for (const auto& t : p.terms) out = std::max(out, term_version(t));
    return out;
}

std::uint32_t rule_version(const Rule& rule) {
    std::uint32_t out = predicate_version(rule.head);
    for (const auto& p : rule.body) out = std::max(out, predicate_version(p));
    for (const auto& e : rule.expressions) out = std::max(out, ops_version(e.ops));
    if (!rule.scopes.empty()) out = std::max(out, kDatalog31);
    return out;
}

// What a block uses, as the reference sees it when it checks a block against its version.
struct Features {
    bool v31 = false;  // scopes, check all, bitwise operators, !=
    bool v33 = false;  // null, closures, .type(), ===, lazy operators, all/any, try_or

    void term(const Term& t) {
        if (std::holds_alternative<Null>(t.value)) v33 = true;
        if (const auto* s = std::get_if<Set>(&t.value))
            for (const auto& i : s->items) term(i);
    }
    void ops(const std::vector<Op>& in) {
        for (const auto& op : in) {
            if (const auto* t = std::get_if<Term>(&op.value)) {
                term(*t);
            } else if (const auto* u = std::get_if<UnaryOp>(&op.value)) {
                if (*u == UnaryOp::TypeOf) v33 = true;
            } else if (const auto* b = std::get_if<BinaryOp>(&op.value)) {
                switch (*b) {
                    case BinaryOp::BitwiseAnd:
                    case BinaryOp::BitwiseOr:
                    case BinaryOp::BitwiseXor:
                    case BinaryOp::NotEqual:
                        v31 = true;
                        break;
                    case BinaryOp::HeterogeneousEqual:
                    case BinaryOp::HeterogeneousNotEqual:
                    case BinaryOp::LazyAnd:
                    case BinaryOp::LazyOr:
                    case BinaryOp::All:
                    case BinaryOp::Any:
                    case BinaryOp::TryOr:
                        v33 = true;
                        break;
                    default:
                        break;
                }
            } else if (const auto* c = std::get_if<Closure>(&op.value)) {
                v33 = true;
                ops(c->ops);
            }
        }
    }
    void predicate(const Predicate& p) {
        for (const auto& t : p.terms) term(t);
    }
    void rule(const Rule& r) {
        predicate(r.head);
        for (const auto& p : r.body) predicate(p);
        for (const auto& e : r.expressions) ops(e.ops);
        if (!r.scopes.empty()) v31 = true;
    }
};

}  // namespace

void check_compatible(const BlockCode& code, std::uint32_t version) {
    Features f;
    if (!code.scopes.empty()) f.v31 = true;
    for (const auto& fact : code.facts) f.predicate(fact);
    for (const auto& r : code.rules) f.rule(r);
    for (const auto& c : code.checks) {
        if (c.kind == Check::Kind::All) f.v31 = true;
        for (const auto& q : c.queries) f.rule(q);
    }
    if (version < kDatalog31 && f.v31)
        throw Error(ErrorKind::Format, "DeserializationError",
                    "deserialization error: scopes, check all, bitwise operators and != are only "
                    "supported in datalog v3.1+");
    if (version < kDatalog33 && f.v33)
        throw Error(ErrorKind::Format, "DeserializationError",
                    "deserialization error: null, closures, type(), strict and lazy operators "
                    "are only supported in datalog v3.3+");
}

std::uint32_t required_version(const BlockCode& code, bool third_party) {
    std::uint32_t out = third_party ? kDatalog32 : kMinBlockVersion;
    if (!code.scopes.empty()) out = std::max(out, kDatalog31);
    for (const auto& f : code.facts) out = std::max(out, predicate_version(f));
    for (const auto& r : code.rules) out = std::max(out, rule_version(r));
    for (const auto& c : code.checks) {
        if (c.kind == Check::Kind::All) out = std::max(out, kDatalog31);
        if (c.kind == Check::Kind::Reject) out = std::max(out, kDatalog33);
        for (const auto& q : c.queries) out = std::max(out, rule_version(q));
    }
    return out;
}

}  // namespace biscuit::format
