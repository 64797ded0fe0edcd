#include <biscuit/datalog/parser.hpp>
#include <biscuit/error.hpp>
#include <cstring>
#include <set>

namespace biscuit::datalog {
namespace {

// Deep nesting is bounded so hostile text cannot exhaust the stack.
constexpr int kMaxDepth = 64;

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ident_char(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '_' || c == ':';
}
bool is_var_char(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Builds the op in place: a temporary Op trips GCC 12's -Wmaybe-uninitialized on std::variant.
template <typename T>
void push_op(std::vector<Op>& ops, T&& value) {
    ops.emplace_back().value.emplace<std::decay_t<T>>(std::forward<T>(value));
}

class Parser {
  public:
    Parser(std::string_view src, const Parameters& params) : src_(src), params_(params) {}

    BlockCode block() {
        BlockCode out;
        statements(out, nullptr);
        return out;
    }

    AuthorizerCode authorizer() {
        AuthorizerCode code;
        BlockCode block;
        statements(block, &code.policies);
        code.facts = std::move(block.facts);
        code.rules = std::move(block.rules);
        code.checks = std::move(block.checks);
        code.scopes = std::move(block.scopes);
        return code;
    }

    template <typename T, typename F>
    T single(F parse) {
        skip();
        T value = parse();
        skip();
        if (pos_ < src_.size() && src_[pos_] == ';') {
            ++pos_;
            skip();
        }
        if (pos_ != src_.size()) fail("unexpected trailing input");
        finish();
        return value;
    }

    Fact fact() {
        Predicate p = predicate();
        for (const auto& t : p.terms) check_ground(t);
        return p;
    }

    Rule rule() {
        Rule r;
        r.head = predicate();
        skip();
        if (!eat("<-")) fail("expected `<-`");
        body(r);
        check_safe(r);
        return r;
    }

    Check check() {
        Check c;
        if (eat_word("check")) {
            skip();
            if (eat_word("if")) {
                c.kind = Check::Kind::One;
            } else if (eat_word("all")) {
                c.kind = Check::Kind::All;
            } else {
                fail("expected `if` or `all`");
            }
        } else if (eat_word("reject")) {
            skip();
            if (!eat_word("if")) fail("expected `if`");
            c.kind = Check::Kind::Reject;
        } else {
            fail("expected a check");
        }
        c.queries = queries();
        return c;
    }

    Policy policy() {
        Policy p;
        if (eat_word("allow")) {
            p.kind = Policy::Kind::Allow;
        } else if (eat_word("deny")) {
            p.kind = Policy::Kind::Deny;
        } else {
            fail("expected a policy");
        }
        skip();
        if (!eat_word("if")) fail("expected `if`");
        p.queries = queries();
        return p;
    }

    Expression expression_only() {
        Expression e;
        expr(e.ops, 0);
        return e;
    }

    Term term_only() { return term(0); }

    PublicKey public_key() {
        skip();
        PublicKey::Algorithm algorithm = PublicKey::Algorithm::Ed25519;
        if (eat_word("ed25519/")) {
            algorithm = PublicKey::Algorithm::Ed25519;
        } else if (eat_word("secp256r1/")) {
            algorithm = PublicKey::Algorithm::Secp256r1;
        } else {
            fail("expected a public key");
        }
        const Bytes bytes = hex_bytes();
        const std::size_t want = algorithm == PublicKey::Algorithm::Ed25519 ? 32 : 33;
        if (bytes.size() != want) fail("wrong public key size");
        try {
            return PublicKey(algorithm, bytes);
        } catch (const Error&) {
            fail("not a valid public key");
        }
    }

    void finish() {
        for (const auto& [name, _] : params_.terms)
            if (!used_.count(name)) throw Error::parameter(LanguageError::UnusedParameter, name);
        for (const auto& [name, _] : params_.public_keys)
            if (!used_.count(name)) throw Error::parameter(LanguageError::UnusedParameter, name);
    }

  private:
    [[noreturn]] void fail(const char* what) const { throw Error::parse_error(pos_, what); }

    void skip() {
        while (pos_ < src_.size()) {
            char c = src_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++pos_;
            } else if (src_.substr(pos_, 2) == "//") {
                while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
            } else if (src_.substr(pos_, 2) == "/*") {
                auto end = src_.find("*/", pos_ + 2);
                if (end == std::string_view::npos) fail("unterminated comment");
                pos_ = end + 2;
            } else {
                break;
            }
        }
    }

    bool peek(std::string_view s) const { return src_.substr(pos_, s.size()) == s; }
    bool eat(std::string_view s) {
        if (!peek(s)) return false;
        pos_ += s.size();
        return true;
    }
    // A keyword, not the prefix of a longer identifier.
    bool peek_word(std::string_view w) const {
        if (!peek(w)) return false;
        if (w.back() == '/') return true;
        std::size_t end = pos_ + w.size();
        return end >= src_.size() || !is_ident_char(src_[end]);
    }
    // `true`, `false` or `null` as a value: not followed by `(` (then it names a predicate).
    bool literal_word() const {
        for (std::string_view w : {"true", "false", "null"}) {
            if (!peek_word(w)) continue;
            std::size_t i = pos_ + w.size();
            while (i < src_.size() && (src_[i] == ' ' || src_[i] == '\t')) ++i;
            return i >= src_.size() || src_[i] != '(';
        }
        return false;
    }
    bool eat_word(std::string_view w) {
        if (!peek_word(w)) return false;
        pos_ += w.size();
        return true;
    }

    void statements(BlockCode& block, std::vector<Policy>* policies) {
        for (;;) {
            skip();
            if (pos_ >= src_.size()) break;
            if (peek_word("check") || peek_word("reject")) {
                block.checks.push_back(check());
            } else if (peek_word("allow") || peek_word("deny")) {
                if (!policies) fail("policies are only allowed in an authorizer");
                policies->push_back(policy());
            } else if (eat_word("trusting")) {
                if (!block.scopes.empty()) fail("duplicate `trusting`");
                block.scopes = scopes();
            } else {
                Predicate head = predicate();
                skip();
                if (eat("<-")) {
                    Rule r;
                    r.head = std::move(head);
                    body(r);
                    check_safe(r);
                    block.rules.push_back(std::move(r));
                } else {
                    for (const auto& t : head.terms) check_ground(t);
                    block.facts.push_back(std::move(head));
                }
            }
            skip();
            if (!eat(";")) fail("expected `;`");
        }
        finish();
    }

    std::string name() {
        skip();
        if (pos_ >= src_.size() || !is_ident_start(src_[pos_])) fail("expected a name");
        std::size_t start = pos_;
        while (pos_ < src_.size() && is_ident_char(src_[pos_])) ++pos_;
        return std::string(src_.substr(start, pos_ - start));
    }

    Predicate predicate() {
        Predicate p;
        p.name = name();
        skip();
        if (!eat("(")) fail("expected `(`");
        skip();
        if (peek(")")) fail("a predicate needs at least one term");
        for (;;) {
            p.terms.push_back(term(0));
            skip();
            if (eat(")")) break;
            if (!eat(",")) fail("expected `,` or `)`");
        }
        return p;
    }

    std::vector<Query> queries() {
        std::vector<Query> out;
        for (;;) {
            Query q;
            q.head.name = "query";
            body(q);
            out.push_back(std::move(q));
            skip();
            if (!eat_word("or")) break;
        }
        return out;
    }

    // A rule body: predicates and expressions, then optional `trusting` scopes.
    void body(Rule& r) {
        for (;;) {
            skip();
            if (pos_ < src_.size() && is_ident_start(src_[pos_]) && !literal_word() &&
                !peek("hex:")) {
                r.body.push_back(predicate());
            } else {
                Expression e;
                expr(e.ops, 0);
                r.expressions.push_back(std::move(e));
            }
            skip();
            if (!eat(",")) break;
        }
        skip();
        if (eat_word("trusting")) r.scopes = scopes();
    }

    std::vector<Scope> scopes() {
        std::vector<Scope> out;
        for (;;) {
            skip();
            Scope s;
            if (eat_word("authority")) {
                s.kind = Scope::Kind::Authority;
            } else if (eat_word("previous")) {
                s.kind = Scope::Kind::Previous;
            } else if (peek("{")) {
                s.kind = Scope::Kind::PublicKey;
                std::string p = parameter_name();
                auto it = params_.public_keys.find(p);
                if (it == params_.public_keys.end())
                    throw Error::parameter(LanguageError::UnknownParameter, std::string(p));
                used_.insert(p);
                s.public_key = it->second;
            } else {
                s.kind = Scope::Kind::PublicKey;
                s.public_key = public_key();
            }
            out.push_back(std::move(s));
            skip();
            // `,` continues the list only when another scope follows (not a new body element).
            std::size_t save = pos_;
            if (!eat(",")) break;
            skip();
            if (!(peek_word("authority") || peek_word("previous") || peek("ed25519/") ||
                  peek("secp256r1/") || peek("{"))) {
                pos_ = save;
                break;
            }
        }
        return out;
    }

    std::string parameter_name() {
        if (!eat("{")) fail("expected `{`");
        std::size_t start = pos_;
        while (pos_ < src_.size() && is_var_char(src_[pos_])) ++pos_;
        if (pos_ == start) fail("expected a parameter name");
        std::string n(src_.substr(start, pos_ - start));
        if (!eat("}")) fail("expected `}`");
        return n;
    }

    Bytes hex_bytes() {
        Bytes out;
        while (pos_ + 1 < src_.size() && hex_value(src_[pos_]) >= 0 &&
               hex_value(src_[pos_ + 1]) >= 0) {
            out.push_back(
                static_cast<std::uint8_t>(hex_value(src_[pos_]) * 16 + hex_value(src_[pos_ + 1])));
            pos_ += 2;
        }
        if (pos_ < src_.size() && hex_value(src_[pos_]) >= 0) fail("odd number of hex digits");
        return out;
    }

    std::string string_literal() {
        if (!eat("\"")) fail("expected `\"`");
        std::string out;
        for (;;) {
            if (pos_ >= src_.size()) fail("unterminated string");
            char c = src_[pos_++];
            if (c == '"') break;
            if (c == '\\') {
                if (pos_ >= src_.size()) fail("unterminated string");
                char e = src_[pos_++];
                switch (e) {
                    case '"':
                        out.push_back('"');
                        break;
                    case '\\':
                        out.push_back('\\');
                        break;
                    case 'n':
                        out.push_back('\n');
                        break;
                    case 't':
                        out.push_back('\t');
                        break;
                    case 'r':
                        out.push_back('\r');
                        break;
                    default:
                        fail("unknown escape in string");
                }
            } else {
                out.push_back(c);
            }
        }
        return out;
    }

    unsigned digits(std::size_t n) {
        unsigned v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (pos_ >= src_.size() || !is_digit(src_[pos_])) fail("malformed date");
            v = v * 10 + static_cast<unsigned>(src_[pos_++] - '0');
        }
        return v;
    }

    bool looks_like_date() const {
        if (pos_ + 11 > src_.size()) return false;
        for (int i = 0; i < 4; ++i)
            if (!is_digit(src_[pos_ + i])) return false;
        return src_[pos_ + 4] == '-';
    }

    // RFC 3339: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; fractions are truncated as the wire has
    // whole seconds.
    Date date() {
        const std::int64_t y = digits(4);
        if (!eat("-")) fail("malformed date");
        const unsigned mo = digits(2);
        if (!eat("-")) fail("malformed date");
        const unsigned d = digits(2);
        if (!eat("T") && !eat("t")) fail("malformed date");
        const unsigned h = digits(2);
        if (!eat(":")) fail("malformed date");
        const unsigned mi = digits(2);
        if (!eat(":")) fail("malformed date");
        const unsigned s = digits(2);
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
            fail("date out of range");
        if (eat(".")) {
            if (pos_ >= src_.size() || !is_digit(src_[pos_])) fail("malformed date");
            while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
        }
        std::int64_t offset = 0;
        if (eat("Z") || eat("z")) {
        } else if (peek("+") || peek("-")) {
            const int sign = src_[pos_++] == '+' ? 1 : -1;
            const unsigned oh = digits(2);
            if (!eat(":")) fail("malformed date");
            const unsigned om = digits(2);
            offset = sign * static_cast<std::int64_t>(oh * 3600 + om * 60);
        } else {
            fail("malformed date");
        }
        const std::int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
        if (t < 0) fail("date before 1970");
        return Date{static_cast<std::uint64_t>(t)};
    }

    std::int64_t integer() {
        bool negative = eat("-");
        if (pos_ >= src_.size() || !is_digit(src_[pos_])) fail("expected an integer");
        // Accumulate negatively so that INT64_MIN parses.
        std::int64_t v = 0;
        while (pos_ < src_.size() && is_digit(src_[pos_])) {
            const int digit = src_[pos_++] - '0';
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, digit, &v))
                fail("integer out of range");
        }
        if (!negative) {
            if (v == INT64_MIN) fail("integer out of range");
            v = -v;
        }
        return v;
    }

    // `{name}` (a parameter) rather than a set or a map: a name, then `}`.
    bool looks_like_parameter() const {
        std::size_t i = pos_ + 1;
        if (i >= src_.size() || !is_ident_start(src_[i])) return false;
        while (i < src_.size() && is_var_char(src_[i])) ++i;
        if (i >= src_.size() || src_[i] != '}') return false;
        const std::string_view n = src_.substr(pos_ + 1, i - pos_ - 1);
        return n != "true" && n != "false" && n != "null";
    }

    // Datalog 3.3: `{1, 2}` is a set (`{,}` the empty one), `{"a": 1, 2: [3]}` a map (`{}` the
    // empty one). Set elements share one type and are neither variables nor sets; map keys are
    // integers or strings, values any term but a variable.
    Term set_or_map(int depth) {
        if (depth > kMaxDepth) fail("nested too deeply");
        eat("{");
        skip();
        if (eat("}")) return Term::map({});
        if (eat(",")) {
            skip();
            if (!eat("}")) fail("expected `}` after `{,`");
            return Term::set({});
        }
        Term first = term(depth + 1);
        skip();
        if (peek(":")) {
            std::vector<std::pair<MapKey, Term>> entries;
            for (;;) {
                MapKey key;
                if (const auto* i = std::get_if<std::int64_t>(&first.value)) {
                    key = *i;
                } else if (const auto* str = std::get_if<std::string>(&first.value)) {
                    key = *str;
                } else {
                    fail("a map key is an integer or a string");
                }
                skip();
                if (!eat(":")) fail("expected `:`");
                Term value = term(depth + 1);
                if (value.is_variable()) fail("a map cannot hold variables");
                entries.emplace_back(std::move(key), std::move(value));
                skip();
                if (eat("}")) break;
                if (!eat(",")) fail("expected `,` or `}`");
                first = term(depth + 1);
            }
            return Term::map(std::move(entries));
        }
        std::vector<Term> items;
        for (;;) {
            if (first.is_variable() || std::holds_alternative<Set>(first.value))
                fail("a set holds neither variables nor sets");
            if (!items.empty() && first.value.index() != items.front().value.index())
                fail("set elements must have the same type");
            items.push_back(std::move(first));
            skip();
            if (eat("}")) break;
            if (!eat(",")) fail("expected `,` or `}`");
            first = term(depth + 1);
        }
        return Term::set(std::move(items));
    }

    Term term(int depth) {
        if (depth > kMaxDepth) fail("nested too deeply");
        skip();
        if (pos_ >= src_.size()) fail("expected a term");
        const char c = src_[pos_];
        if (c == '$') {
            ++pos_;
            std::size_t start = pos_;
            while (pos_ < src_.size() && is_var_char(src_[pos_])) ++pos_;
            if (pos_ == start) fail("expected a variable name");
            return Term::variable(std::string(src_.substr(start, pos_ - start)));
        }
        if (c == '"') return Term::string(string_literal());
        if (c == '{') {
            if (looks_like_parameter()) {
                std::string p = parameter_name();
                auto it = params_.terms.find(p);
                if (it == params_.terms.end())
                    throw Error::parameter(LanguageError::UnknownParameter, std::string(p));
                used_.insert(p);
                return it->second;
            }
            return set_or_map(depth);
        }
        if (c == '[') {
            // Datalog 3.3: `[a, b]` is an array (of any terms but variables).
            ++pos_;
            std::vector<Term> items;
            skip();
            if (!eat("]")) {
                for (;;) {
                    Term t = term(depth + 1);
                    if (t.is_variable()) fail("an array cannot hold variables");
                    items.push_back(std::move(t));
                    skip();
                    if (eat("]")) break;
                    if (!eat(",")) fail("expected `,` or `]`");
                }
            }
            return Term::array(std::move(items));
        }
        if (eat_word("true")) return Term::boolean(true);
        if (eat_word("false")) return Term::boolean(false);
        if (eat_word("null")) return Term::null();
        if (eat("hex:")) return Term::bytes(hex_bytes());
        if (looks_like_date()) return Term(Term::Value(date()));
        if (is_digit(c) || c == '-') return Term::integer(integer());
        fail("expected a term");
    }

    // Precedence levels, loosest first: || && comparison ^ | & +- */ ! .method
    // Spelling of Datalog 3.3, as the reference: `&&` and `||` are lazy (their right side is a
    // closure); `==` and `!=` compare values of any types, `===` and `!==` are the strict
    // comparisons of earlier versions. The eager `&&`/`||` of earlier versions have no spelling
    // of their own: the printer writes them `&&!`/`||!` as the reference does, and the
    // reference's parser, like this one, reads that as `&& !` (so must text, to mean one thing).
    void expr(std::vector<Op>& ops, int depth) {
        if (depth > kMaxDepth) fail("nested too deeply");
        expr_and(ops, depth);
        for (;;) {
            skip();
            if (!eat("||")) break;
            Closure c;
            expr_and(c.ops, depth + 1);
            push_op(ops, std::move(c));
            push_op(ops, BinaryOp::LazyOr);
        }
    }

    void expr_and(std::vector<Op>& ops, int depth) {
        if (depth > kMaxDepth) fail("nested too deeply");
        expr_cmp(ops, depth);
        for (;;) {
            skip();
            if (!eat("&&")) break;
            Closure c;
            expr_cmp(c.ops, depth + 1);
            push_op(ops, std::move(c));
            push_op(ops, BinaryOp::LazyAnd);
        }
    }

    void expr_cmp(std::vector<Op>& ops, int depth) {
        expr_xor(ops, depth);
        skip();
        BinaryOp op;
        if (eat("===")) {
            op = BinaryOp::Equal;
        } else if (eat("!==")) {
            op = BinaryOp::NotEqual;
        } else if (eat("==")) {
            op = BinaryOp::HeterogeneousEqual;
        } else if (eat("!=")) {
            op = BinaryOp::HeterogeneousNotEqual;
        } else if (eat("<=")) {
            op = BinaryOp::LessOrEqual;
        } else if (eat(">=")) {
            op = BinaryOp::GreaterOrEqual;
        } else if (!peek("<-") && eat("<")) {
            op = BinaryOp::LessThan;
        } else if (eat(">")) {
            op = BinaryOp::GreaterThan;
        } else {
            return;
        }
        expr_xor(ops, depth);
        push_op(ops, op);
    }

    void expr_xor(std::vector<Op>& ops, int depth) {
        expr_bor(ops, depth);
        for (;;) {
            skip();
            if (!eat("^")) break;
            expr_bor(ops, depth);
            push_op(ops, BinaryOp::BitwiseXor);
        }
    }

    void expr_bor(std::vector<Op>& ops, int depth) {
        expr_band(ops, depth);
        for (;;) {
            skip();
            if (peek("||") || !eat("|")) break;
            expr_band(ops, depth);
            push_op(ops, BinaryOp::BitwiseOr);
        }
    }

    void expr_band(std::vector<Op>& ops, int depth) {
        expr_add(ops, depth);
        for (;;) {
            skip();
            if (peek("&&") || !eat("&")) break;
            expr_add(ops, depth);
            push_op(ops, BinaryOp::BitwiseAnd);
        }
    }

    void expr_add(std::vector<Op>& ops, int depth) {
        expr_mul(ops, depth);
        for (;;) {
            skip();
            BinaryOp op;
            if (eat("+")) {
                op = BinaryOp::Add;
            } else if (eat("-")) {
                op = BinaryOp::Sub;
            } else {
                break;
            }
            expr_mul(ops, depth);
            push_op(ops, op);
        }
    }

    void expr_mul(std::vector<Op>& ops, int depth) {
        expr_unary(ops, depth);
        for (;;) {
            skip();
            BinaryOp op;
            if (eat("*")) {
                op = BinaryOp::Mul;
            } else if (!peek("/*") && !peek("//") && eat("/")) {
                op = BinaryOp::Div;
            } else {
                break;
            }
            expr_unary(ops, depth);
            push_op(ops, op);
        }
    }

    void expr_unary(std::vector<Op>& ops, int depth) {
        skip();
        if (peek("!") && !peek("!=")) {
            ++pos_;
            expr_unary(ops, depth + 1);
            push_op(ops, UnaryOp::Negate);
            return;
        }
        expr_method(ops, depth);
    }

    void expr_method(std::vector<Op>& ops, int depth) {
        skip();
        const std::size_t receiver_start = ops.size();
        if (eat("(")) {
            expr(ops, depth + 1);
            skip();
            if (!eat(")")) fail("expected `)`");
            push_op(ops, UnaryOp::Parens);
        } else {
            ops.emplace_back().value.emplace<Term>(term(depth + 1));
        }
        for (;;) {
            skip();
            if (!peek(".") || pos_ + 1 >= src_.size() || !is_ident_start(src_[pos_ + 1])) break;
            ++pos_;
            std::string m = name();
            skip();
            if (!eat("(")) fail("expected `(`");
            skip();
            if (m == "length" || m == "type") {
                if (!eat(")")) fail("expected `)`");
                push_op(ops, m == "length" ? UnaryOp::Length : UnaryOp::TypeOf);
                continue;
            }
            BinaryOp op;
            if (m == "contains") {
                op = BinaryOp::Contains;
            } else if (m == "starts_with") {
                op = BinaryOp::Prefix;
            } else if (m == "ends_with") {
                op = BinaryOp::Suffix;
            } else if (m == "matches") {
                op = BinaryOp::Regex;
            } else if (m == "intersection") {
                op = BinaryOp::Intersection;
            } else if (m == "union") {
                op = BinaryOp::Union;
            } else if (m == "get") {
                op = BinaryOp::Get;
            } else if (m == "try_or") {
                // The receiver runs as a closure without parameters, so that its errors can
                // be caught; the fallback is evaluated first, as any right operand.
                Closure c;
                c.ops.assign(std::make_move_iterator(ops.begin() +
                                                     static_cast<std::ptrdiff_t>(receiver_start)),
                             std::make_move_iterator(ops.end()));
                ops.resize(receiver_start);
                push_op(ops, std::move(c));
                expr(ops, depth + 1);
                skip();
                if (!eat(")")) fail("expected `)`");
                push_op(ops, BinaryOp::TryOr);
                continue;
            } else if (m == "all" || m == "any") {
                op = m == "all" ? BinaryOp::All : BinaryOp::Any;
                Closure c;
                if (!eat("$")) fail("expected a closure parameter");
                std::size_t start = pos_;
                while (pos_ < src_.size() && is_var_char(src_[pos_])) ++pos_;
                if (pos_ == start) fail("expected a variable name");
                c.params.emplace_back(src_.substr(start, pos_ - start));
                skip();
                if (!eat("->")) fail("expected `->`");
                expr(c.ops, depth + 1);
                skip();
                if (!eat(")")) fail("expected `)`");
                push_op(ops, std::move(c));
                push_op(ops, op);
                continue;
            } else {
                fail("unknown method");
            }
            expr(ops, depth + 1);
            skip();
            if (!eat(")")) fail("expected `)`");
            push_op(ops, op);
        }
    }

    void check_ground(const Term& t) {
        if (t.is_variable()) fail("a fact cannot hold variables");
    }

    // Spec: a rule is safe if every head variable appears in a body predicate.
    void check_safe(const Rule& r) {
        if (params_.allow_unsafe_rules) return;
        std::set<std::string> bound;
        for (const auto& p : r.body)
            for (const auto& t : p.terms)
                if (const auto* v = std::get_if<Variable>(&t.value)) bound.insert(v->name);
        for (const auto& t : r.head.terms)
            if (const auto* v = std::get_if<Variable>(&t.value))
                if (!bound.count(v->name))
                    throw Error(ErrorKind::Language, "UnsafeRule",
                                "head variable $" + v->name + " does not appear in the body");
    }

    std::string_view src_;
    const Parameters& params_;
    std::size_t pos_ = 0;
    std::set<std::string, std::less<>> used_;
};

}  // namespace

BlockCode parse_block(std::string_view source, const Parameters& params) {
    return Parser(source, params).block();
}

AuthorizerCode parse_authorizer(std::string_view source, const Parameters& params) {
    return Parser(source, params).authorizer();
}

Fact parse_fact(std::string_view source, const Parameters& params) {
    Parser p(source, params);
    return p.single<Fact>([&] { return p.fact(); });
}

Rule parse_rule(std::string_view source, const Parameters& params) {
    Parser p(source, params);
    return p.single<Rule>([&] { return p.rule(); });
}

Check parse_check(std::string_view source, const Parameters& params) {
    Parser p(source, params);
    return p.single<Check>([&] { return p.check(); });
}

Policy parse_policy(std::string_view source, const Parameters& params) {
    Parser p(source, params);
    return p.single<Policy>([&] { return p.policy(); });
}

Expression parse_expression(std::string_view source, const Parameters& params) {
    Parser p(source, params);
    return p.single<Expression>([&] { return p.expression_only(); });
}

Term parse_term(std::string_view source, const Parameters& params) {
    Parser p(source, params);
    return p.single<Term>([&] { return p.term_only(); });
}

PublicKey parse_public_key(std::string_view source) {
    Parameters none;
    Parser p(source, none);
    return p.single<PublicKey>([&] { return p.public_key(); });
}

}  // namespace biscuit::datalog
