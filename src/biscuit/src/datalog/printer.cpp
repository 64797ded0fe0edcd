#include <biscuit/datalog/printer.hpp>
#include <cstdio>
#include <string_view>

namespace biscuit::datalog {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const Bytes& bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return out;
}

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
}

std::string rfc3339(std::uint64_t seconds) {
    // Beyond year 9999 RFC 3339 has no form; such dates print as their number of seconds.
    constexpr std::uint64_t kYear10000 = 253402300800ULL;
    if (seconds >= kYear10000) return std::to_string(seconds);
    std::int64_t y;
    unsigned m, d;
    civil_from_days(static_cast<std::int64_t>(seconds / 86400), y, m, d);
    const std::uint64_t rem = seconds % 86400;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(y), m,
                  d, static_cast<unsigned>(rem / 3600), static_cast<unsigned>(rem / 60 % 60),
                  static_cast<unsigned>(rem % 60));
    return buf;
}

std::string join_terms(const std::vector<Term>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += to_string(items[i]);
    }
    return out;
}

std::string_view binary_symbol(BinaryOp op) {
    switch (op) {
        case BinaryOp::LessThan:
            return "<";
        case BinaryOp::GreaterThan:
            return ">";
        case BinaryOp::LessOrEqual:
            return "<=";
        case BinaryOp::GreaterOrEqual:
            return ">=";
        // Datalog 3.3 spelling, as the reference prints it (see the parser).
        case BinaryOp::Equal:
            return "===";
        case BinaryOp::NotEqual:
            return "!==";
        case BinaryOp::HeterogeneousEqual:
            return "==";
        case BinaryOp::HeterogeneousNotEqual:
            return "!=";
        case BinaryOp::Add:
            return "+";
        case BinaryOp::Sub:
            return "-";
        case BinaryOp::Mul:
            return "*";
        case BinaryOp::Div:
            return "/";
        case BinaryOp::And:
            return "&&!";
        case BinaryOp::LazyAnd:
            return "&&";
        case BinaryOp::Or:
            return "||!";
        case BinaryOp::LazyOr:
            return "||";
        case BinaryOp::BitwiseAnd:
            return "&";
        case BinaryOp::BitwiseOr:
            return "|";
        case BinaryOp::BitwiseXor:
            return "^";
        default:
            return {};
    }
}

std::string_view method_name(BinaryOp op) {
    switch (op) {
        case BinaryOp::Contains:
            return "contains";
        case BinaryOp::Prefix:
            return "starts_with";
        case BinaryOp::Suffix:
            return "ends_with";
        case BinaryOp::Regex:
            return "matches";
        case BinaryOp::Intersection:
            return "intersection";
        case BinaryOp::Union:
            return "union";
        case BinaryOp::All:
            return "all";
        case BinaryOp::Any:
            return "any";
        case BinaryOp::Get:
            return "get";
        case BinaryOp::TryOr:
            return "try_or";
        default:
            return {};
    }
}

// Closures print as their body only when they take no parameter (the right side of a lazy
// `&&`/`||`), else as `$x -> body`.
bool print_ops(const std::vector<Op>& ops, std::string& out);

std::string closure_text(const Closure& c) {
    std::string body;
    if (!print_ops(c.ops, body)) body = "<invalid expression>";
    if (c.params.empty()) return body;
    std::string out;
    for (std::size_t i = 0; i < c.params.size(); ++i) {
        if (i) out += ", ";
        out += "$" + c.params[i];
    }
    return out + " -> " + body;
}

bool print_ops(const std::vector<Op>& ops, std::string& out) {
    std::vector<std::string> stack;
    for (const Op& op : ops) {
        if (const auto* t = std::get_if<Term>(&op.value)) {
            stack.push_back(to_string(*t));
        } else if (const auto* c = std::get_if<Closure>(&op.value)) {
            stack.push_back(closure_text(*c));
        } else if (const auto* u = std::get_if<UnaryOp>(&op.value)) {
            if (stack.empty()) return false;
            std::string& s = stack.back();
            switch (*u) {
                case UnaryOp::Negate:
                    s = "!" + s;
                    break;
                case UnaryOp::Parens:
                    s = "(" + s + ")";
                    break;
                case UnaryOp::Length:
                    s += ".length()";
                    break;
                case UnaryOp::TypeOf:
                    s += ".type()";
                    break;
                default:
                    return false;
            }
        } else {
            const BinaryOp b = std::get<BinaryOp>(op.value);
            if (stack.size() < 2) return false;
            std::string right = std::move(stack.back());
            stack.pop_back();
            std::string& left = stack.back();
            if (auto sym = binary_symbol(b); !sym.empty()) {
                left = left + " " + std::string(sym) + " " + right;
            } else if (auto name = method_name(b); !name.empty()) {
                left = left + "." + std::string(name) + "(" + right + ")";
            } else {
                return false;
            }
        }
    }
    if (stack.size() != 1) return false;
    out = std::move(stack.back());
    return true;
}

std::string body_text(const Rule& rule) {
    std::string out;
    bool first = true;
    for (const auto& p : rule.body) {
        if (!first) out += ", ";
        first = false;
        out += to_string(p);
    }
    for (const auto& e : rule.expressions) {
        if (!first) out += ", ";
        first = false;
        out += to_string(e);
    }
    if (!rule.scopes.empty()) {
        out += " trusting ";
        for (std::size_t i = 0; i < rule.scopes.size(); ++i) {
            if (i) out += ", ";
            out += to_string(rule.scopes[i]);
        }
    }
    return out;
}

std::string queries_text(const std::vector<Query>& queries) {
    std::string out;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        if (i) out += " or ";
        out += body_text(queries[i]);
    }
    return out;
}

std::string scopes_statement(const std::vector<Scope>& scopes) {
    if (scopes.empty()) return {};
    std::string out = "trusting ";
    for (std::size_t i = 0; i < scopes.size(); ++i) {
        if (i) out += ", ";
        out += to_string(scopes[i]);
    }
    return out + ";\n";
}

}  // namespace

std::string to_string(const Term& term) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Variable>) {
                return "$" + x.name;
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                return std::to_string(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return quoted(x);
            } else if constexpr (std::is_same_v<T, Date>) {
                return rfc3339(x.seconds);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                return "hex:" + hex(x);
            } else if constexpr (std::is_same_v<T, bool>) {
                return x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, Set>) {
                // `{,}`: `{}` is the empty map.
                return x.items.empty() ? "{,}" : "{" + join_terms(x.items) + "}";
            } else if constexpr (std::is_same_v<T, Array>) {
                return "[" + join_terms(x.items) + "]";
            } else if constexpr (std::is_same_v<T, Null>) {
                return "null";
            } else {
                std::string out = "{";
                for (std::size_t i = 0; i < x.entries.size(); ++i) {
                    if (i) out += ", ";
                    const auto& [k, v] = x.entries[i];
                    if (const auto* n = std::get_if<std::int64_t>(&k)) {
                        out += std::to_string(*n);
                    } else {
                        out += quoted(std::get<std::string>(k));
                    }
                    out += ": " + to_string(v);
                }
                return out + "}";
            }
        },
        term.value);
}

std::string to_string(const Predicate& predicate) {
    return predicate.name + "(" + join_terms(predicate.terms) + ")";
}

std::string to_string(const Expression& expression) {
    std::string out;
    if (!print_ops(expression.ops, out)) return "<invalid expression>";
    return out;
}

std::string to_string(const PublicKey& key) {
    return (key.algorithm() == PublicKey::Algorithm::Ed25519 ? "ed25519/" : "secp256r1/") +
           hex(key.bytes());
}

std::string to_string(const Scope& scope) {
    switch (scope.kind) {
        case Scope::Kind::Authority:
            return "authority";
        case Scope::Kind::Previous:
            return "previous";
        case Scope::Kind::PublicKey:
            return scope.public_key ? to_string(*scope.public_key) : std::string();
    }
    return {};
}

std::string to_string(const Rule& rule) {
    return to_string(rule.head) + " <- " + body_text(rule);
}

std::string to_string(const Check& check) {
    std::string_view prefix = check.kind == Check::Kind::All      ? "check all "
                              : check.kind == Check::Kind::Reject ? "reject if "
                                                                  : "check if ";
    return std::string(prefix) + queries_text(check.queries);
}

std::string to_string(const Policy& policy) {
    return (policy.kind == Policy::Kind::Allow ? "allow if " : "deny if ") +
           queries_text(policy.queries);
}

std::string to_string(const BlockCode& block) {
    std::string out = scopes_statement(block.scopes);
    for (const auto& f : block.facts) out += to_string(f) + ";\n";
    for (const auto& r : block.rules) out += to_string(r) + ";\n";
    for (const auto& c : block.checks) out += to_string(c) + ";\n";
    return out;
}

std::string to_string(const AuthorizerCode& code) {
    std::string out = scopes_statement(code.scopes);
    for (const auto& f : code.facts) out += to_string(f) + ";\n";
    for (const auto& r : code.rules) out += to_string(r) + ";\n";
    for (const auto& c : code.checks) out += to_string(c) + ";\n";
    for (const auto& p : code.policies) out += to_string(p) + ";\n";
    return out;
}

}  // namespace biscuit::datalog
