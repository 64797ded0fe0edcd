#include "format/block_codec.hpp"

#include <biscuit/error.hpp>
#include <variant>

#include "format/block_version.hpp"

namespace biscuit::format {
namespace {

using namespace datalog;

[[noreturn]] void malformed(std::string detail) {
    throw Error(ErrorKind::Format, "DeserializationError", "deserialization error: " + detail);
}

// Arrays, maps and sets inside each other, and closures inside closures, nest at most this deep
// (a depth of 1 is a plain value): enough for any real token, and each level is two protobuf
// messages, so protobuf's own limit of 100 is never what refuses a token.
constexpr int kMaxNesting = 32;

void check_nesting(int depth, bool decoding) {
    if (depth <= kMaxNesting) return;
    if (decoding) malformed("terms or closures nested deeper than " + std::to_string(kMaxNesting));
    throw Error(ErrorKind::Format, "SerializationError",
                "terms or closures nested deeper than " + std::to_string(kMaxNesting));
}

class Decoder {
  public:
    Decoder(const SymbolTable& symbols, const PublicKeyTable& keys)
        : symbols_(symbols), keys_(keys) {}

    Term term(const schema::TermV2& t, int depth = 1) const {
        check_nesting(depth, true);
        using C = schema::TermV2;
        switch (t.Content_case()) {
            case C::kVariable:
                return Term::variable(symbols_.lookup(t.variable()));
            case C::kInteger:
                return Term::integer(t.integer());
            case C::kString:
                return Term::string(symbols_.lookup(t.string()));
            case C::kDate:
                return Term::date(t.date());
            case C::kBytes:
                return Term::bytes(Bytes(t.bytes().begin(), t.bytes().end()));
            case C::kBool:
                return Term::boolean(t.bool_());
            case C::kSet: {
                std::vector<Term> items;
                items.reserve(static_cast<std::size_t>(t.set().set_size()));
                int kind = -1;
                for (const auto& item : t.set().set()) {
                    if (item.Content_case() == C::kVariable)
                        malformed("sets cannot contain variables");
                    if (item.Content_case() == C::kSet) malformed("sets cannot contain other sets");
                    if (kind >= 0 && kind != static_cast<int>(item.Content_case()))
                        malformed("sets elements must have the same type");
                    kind = static_cast<int>(item.Content_case());
                    items.push_back(term(item, depth + 1));
                }
                return Term::set(std::move(items));
            }
            case C::kNull:
                return Term::null();
            case C::kArray: {
                std::vector<Term> items;
                for (const auto& item : t.array().array()) items.push_back(term(item, depth + 1));
                return Term::array(std::move(items));
            }
            case C::kMap: {
                std::vector<std::pair<MapKey, Term>> entries;
                for (const auto& e : t.map().entries()) {
                    MapKey key;
                    switch (e.key().Content_case()) {
                        case schema::MapKey::kInteger:
                            key = e.key().integer();
                            break;
                        case schema::MapKey::kString:
                            key = symbols_.lookup(e.key().string());
                            break;
                        default:
                            malformed("ID content enum is empty");
                    }
                    entries.emplace_back(std::move(key), term(e.value(), depth + 1));
                }
                return Term::map(std::move(entries));
            }
            default:
                malformed("ID content enum is empty");
        }
    }

    Predicate predicate(const schema::PredicateV2& p) const {
        Predicate out{symbols_.lookup(p.name()), {}};
        out.terms.reserve(static_cast<std::size_t>(p.terms_size()));
        for (const auto& t : p.terms()) out.terms.push_back(term(t));
        return out;
    }

    std::vector<Op> ops(const google::protobuf::RepeatedPtrField<schema::Op>& in,
                        int depth = 1) const {
        check_nesting(depth, true);
        std::vector<Op> out;
        out.reserve(static_cast<std::size_t>(in.size()));
        for (const auto& op : in) {
            switch (op.Content_case()) {
                case schema::Op::kValue:
                    out.push_back(Op{term(op.value(), depth)});
                    break;
                case schema::Op::kUnary: {
                    auto kind = op.unary().kind();
                    if (kind == schema::OpUnary::Ffi)
                        malformed("external functions are not supported");
                    out.push_back(Op{static_cast<UnaryOp>(kind)});
                    break;
                }
                case schema::Op::kBinary: {
                    auto kind = op.binary().kind();
                    if (kind == schema::OpBinary::Ffi)
                        malformed("external functions are not supported");
                    out.push_back(Op{static_cast<BinaryOp>(kind)});
                    break;
                }
                case schema::Op::kClosure: {
                    Closure c;
                    for (auto p : op.closure().params()) c.params.push_back(symbols_.lookup(p));
                    c.ops = ops(op.closure().ops(), depth + 1);
                    out.push_back(Op{std::move(c)});
                    break;
                }
                default:
                    malformed("operation is empty");
            }
        }
        return out;
    }

    Scope scope(const schema::Scope& s) const {
        switch (s.Content_case()) {
            case schema::Scope::kScopeType:
                return s.scopetype() == schema::Scope::Authority ? Scope{Scope::Kind::Authority, {}}
                                                                 : Scope{Scope::Kind::Previous, {}};
            case schema::Scope::kPublicKey:
                if (s.publickey() < 0) malformed("negative public key index");
                return Scope{Scope::Kind::PublicKey,
                             keys_.lookup(static_cast<std::uint64_t>(s.publickey()))};
            default:
                malformed("expected `content` field in Scope");
        }
    }

    Rule rule(const schema::RuleV2& r, std::uint32_t version) const {
        Rule out;
        out.head = predicate(r.head());
        for (const auto& p : r.body()) out.body.push_back(predicate(p));
        for (const auto& e : r.expressions()) out.expressions.push_back(Expression{ops(e.ops())});
        if (version < kDatalog31 && r.scope_size() > 0)
            malformed("scopes are only supported in datalog v3.1+");
        for (const auto& s : r.scope()) out.scopes.push_back(scope(s));
        return out;
    }

  private:
    const SymbolTable& symbols_;
    const PublicKeyTable& keys_;
};

class Encoder {
  public:
    Encoder(SymbolTable& symbols, PublicKeyTable& keys) : symbols_(symbols), keys_(keys) {}

    void term(const Term& t, schema::TermV2& out, int depth = 1) {
        check_nesting(depth, false);
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, Variable>) {
                    out.set_variable(static_cast<std::uint32_t>(symbols_.intern(v.name)));
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    out.set_integer(v);
                } else if constexpr (std::is_same_v<T, std::string>) {
                    out.set_string(symbols_.intern(v));
                } else if constexpr (std::is_same_v<T, Date>) {
                    out.set_date(v.seconds);
                } else if constexpr (std::is_same_v<T, Bytes>) {
                    out.set_bytes(std::string(v.begin(), v.end()));
                } else if constexpr (std::is_same_v<T, bool>) {
                    out.set_bool_(v);
                } else if constexpr (std::is_same_v<T, Set>) {
                    auto* set = out.mutable_set();
                    for (const auto& item : v.items) term(item, *set->add_set(), depth + 1);
                } else if constexpr (std::is_same_v<T, Null>) {
                    out.mutable_null();
                } else if constexpr (std::is_same_v<T, Array>) {
                    auto* array = out.mutable_array();
                    for (const auto& item : v.items) term(item, *array->add_array(), depth + 1);
                } else if constexpr (std::is_same_v<T, Map>) {
                    auto* map = out.mutable_map();
                    for (const auto& [key, value] : v.entries) {
                        auto* entry = map->add_entries();
                        if (const auto* i = std::get_if<std::int64_t>(&key))
                            entry->mutable_key()->set_integer(*i);
                        else
                            entry->mutable_key()->set_string(
                                symbols_.intern(std::get<std::string>(key)));
                        term(value, *entry->mutable_value(), depth + 1);
                    }
                }
            },
            t.value);
    }

    void predicate(const Predicate& p, schema::PredicateV2& out) {
        out.set_name(symbols_.intern(p.name));
        for (const auto& t : p.terms) term(t, *out.add_terms());
    }

    void ops(const std::vector<Op>& in, google::protobuf::RepeatedPtrField<schema::Op>& out,
             int depth = 1) {
        check_nesting(depth, false);
        for (const auto& op : in) {
            auto* o = out.Add();
            if (const auto* t = std::get_if<Term>(&op.value)) {
                term(*t, *o->mutable_value(), depth);
            } else if (const auto* u = std::get_if<UnaryOp>(&op.value)) {
                o->mutable_unary()->set_kind(static_cast<schema::OpUnary::Kind>(*u));
            } else if (const auto* b = std::get_if<BinaryOp>(&op.value)) {
                o->mutable_binary()->set_kind(static_cast<schema::OpBinary::Kind>(*b));
            } else if (const auto* c = std::get_if<Closure>(&op.value)) {
                auto* closure = o->mutable_closure();
                for (const auto& p : c->params)
                    closure->add_params(static_cast<std::uint32_t>(symbols_.intern(p)));
                ops(c->ops, *closure->mutable_ops(), depth + 1);
            }
        }
    }

    void scope(const Scope& s, schema::Scope& out) {
        switch (s.kind) {
            case Scope::Kind::Authority:
                out.set_scopetype(schema::Scope::Authority);
                break;
            case Scope::Kind::Previous:
                out.set_scopetype(schema::Scope::Previous);
                break;
            case Scope::Kind::PublicKey:
                out.set_publickey(static_cast<std::int64_t>(keys_.intern(*s.public_key)));
                break;
        }
    }

    void rule(const Rule& r, schema::RuleV2& out) {
        predicate(r.head, *out.mutable_head());
        for (const auto& p : r.body) predicate(p, *out.add_body());
        for (const auto& e : r.expressions) ops(e.ops, *out.add_expressions()->mutable_ops());
        for (const auto& s : r.scopes) scope(s, *out.add_scope());
    }

  private:
    SymbolTable& symbols_;
    PublicKeyTable& keys_;
};

}  // namespace

BlockCode decode_block(const schema::Block& block, const SymbolTable& symbols,
                       const PublicKeyTable& keys, bool third_party) {
    const std::uint32_t version = block.has_version() ? block.version() : 0;
    if (version < kMinBlockVersion || version > kMaxBlockVersion)
        throw Error::version(kMinBlockVersion, kMaxBlockVersion, version);
    if (third_party && version < kDatalog32)
        malformed("third-party blocks are only supported in datalog v3.2+");

    Decoder d(symbols, keys);
    BlockCode out;
    out.version = version;
    out.facts.reserve(static_cast<std::size_t>(block.facts_v2_size()));
    for (const auto& f : block.facts_v2()) out.facts.push_back(d.predicate(f.predicate()));
    for (const auto& r : block.rules_v2()) out.rules.push_back(d.rule(r, version));
    for (const auto& c : block.checks_v2()) {
        Check check;
        if (c.has_kind()) {
            if (version < kDatalog31)
                malformed("check kinds are only supported on datalog v3.1+ blocks");
            switch (c.kind()) {
                case schema::CheckV2::One:
                    check.kind = Check::Kind::One;
                    break;
                case schema::CheckV2::All:
                    check.kind = Check::Kind::All;
                    break;
                case schema::CheckV2::Reject:
                    if (version < kDatalog33)
                        malformed("reject if is only supported in datalog v3.3+");
                    check.kind = Check::Kind::Reject;
                    break;
            }
        }
        for (const auto& q : c.queries()) check.queries.push_back(d.rule(q, version));
        out.checks.push_back(std::move(check));
    }
    for (const auto& s : block.scope()) out.scopes.push_back(d.scope(s));

    // Features newer than the block's version are refused as the reference detects them; it
    // writes arrays and maps in blocks of any version, and its tokens must verify here.
    check_compatible(out, version);
    return out;
}

void encode_block(const BlockCode& code, const std::string& context, SymbolTable& symbols,
                  PublicKeyTable& keys, schema::Block& out) {
    const std::size_t symbol_mark = symbols.size();
    const std::size_t key_mark = keys.size();
    Encoder e(symbols, keys);
    for (const auto& f : code.facts) e.predicate(f, *out.add_facts_v2()->mutable_predicate());
    for (const auto& r : code.rules) e.rule(r, *out.add_rules_v2());
    for (const auto& c : code.checks) {
        auto* check = out.add_checks_v2();
        if (c.kind == Check::Kind::All) check->set_kind(schema::CheckV2::All);
        if (c.kind == Check::Kind::Reject) check->set_kind(schema::CheckV2::Reject);
        for (const auto& q : c.queries) e.rule(q, *check->add_queries());
    }
    for (const auto& s : code.scopes) e.scope(s, *out.add_scope());

    for (auto& s : symbols.appended_since(symbol_mark)) out.add_symbols(std::move(s));
    for (const auto& k : keys.appended_since(key_mark)) {
        auto* key = out.add_publickeys();
        key->set_algorithm(static_cast<schema::PublicKey::Algorithm>(k.algorithm()));
        key->set_key(std::string(k.bytes().begin(), k.bytes().end()));
    }
    if (!context.empty()) out.set_context(context);
    out.set_version(std::max(code.version, required_version(code, false)));
}

}  // namespace biscuit::format
