#pragma once

// The Datalog language of Biscuit (specification v3, block versions 3 to 6), as plain values.
// Strings are held by value: the wire layer resolves symbol-table indices when it reads a block
// and interns them again when it writes one; the engine interns internally for speed.

#include <biscuit/public_key.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace biscuit::datalog {

using Bytes = std::vector<std::uint8_t>;

struct Variable {
    std::string name;  // without the `$`
    friend bool operator==(const Variable&, const Variable&) = default;
};

// Seconds since the Unix epoch (the wire's u64 date).
struct Date {
    std::uint64_t seconds = 0;
    friend bool operator==(const Date&, const Date&) = default;
};

struct Null {
    friend bool operator==(const Null&, const Null&) = default;
};

struct Term;

// A deduplicated, sorted collection; holds neither variables nor sets (spec).
struct Set {
    std::vector<Term> items;
};
// v3.3 (block version 6) additions.
struct Array {
    std::vector<Term> items;
};
using MapKey = std::variant<std::int64_t, std::string>;
struct Map {
    std::vector<std::pair<MapKey, Term>> entries;  // sorted by key, keys unique
};

struct Term {
    using Value =
        std::variant<Variable, std::int64_t, std::string, Date, Bytes, bool, Set, Null, Array, Map>;
    Value value;

    Term() : value(Null{}) {}
    Term(Value v) : value(std::move(v)) {}

    static Term variable(std::string name) { return Term(Value(Variable{std::move(name)})); }
    static Term integer(std::int64_t i) { return Term(Value(std::in_place_type<std::int64_t>, i)); }
    static Term string(std::string s) {
        return Term(Value(std::in_place_type<std::string>, std::move(s)));
    }
    static Term date(std::uint64_t seconds) { return Term(Value(Date{seconds})); }
    static Term bytes(Bytes b) { return Term(Value(std::in_place_type<Bytes>, std::move(b))); }
    static Term boolean(bool b) { return Term(Value(std::in_place_type<bool>, b)); }
    static Term null() { return Term(Value(Null{})); }
    // Sorts and deduplicates.
    static Term set(std::vector<Term> items);
    static Term array(std::vector<Term> items) { return Term(Value(Array{std::move(items)})); }
    // Sorts by key; a later duplicate key replaces an earlier one.
    static Term map(std::vector<std::pair<MapKey, Term>> entries);

    bool is_variable() const { return std::holds_alternative<Variable>(value); }
};

// Total order over terms (by type, then value), used for sets, maps and deterministic output.
int compare(const Term& a, const Term& b);
inline bool operator==(const Term& a, const Term& b) {
    return compare(a, b) == 0;
}
inline bool operator<(const Term& a, const Term& b) {
    return compare(a, b) < 0;
}

struct Predicate {
    std::string name;
    std::vector<Term> terms;
};
bool operator==(const Predicate& a, const Predicate& b);
using Fact = Predicate;  // a predicate without variables

// The operators of the expression virtual machine, in the order of the protobuf enums
// (OpUnary.Kind and OpBinary.Kind), so the wire layer can cast.
enum class UnaryOp : std::uint8_t {
    Negate = 0,
    Parens = 1,
    Length = 2,
    TypeOf = 3,
};

enum class BinaryOp : std::uint8_t {
    LessThan = 0,
    GreaterThan = 1,
    LessOrEqual = 2,
    GreaterOrEqual = 3,
    Equal = 4,
    Contains = 5,
    Prefix = 6,
    Suffix = 7,
    Regex = 8,
    Add = 9,
    Sub = 10,
    Mul = 11,
    Div = 12,
    And = 13,  // evaluates both sides (block versions < 6)
    Or = 14,   // evaluates both sides (block versions < 6)
    Intersection = 15,
    Union = 16,
    BitwiseAnd = 17,
    BitwiseOr = 18,
    BitwiseXor = 19,
    NotEqual = 20,
    HeterogeneousEqual = 21,     // `===`: false instead of a type error across types
    HeterogeneousNotEqual = 22,  // `!==`
    LazyAnd = 23,                // right side is a closure without parameters
    LazyOr = 24,
    All = 25,  // set/array .all($x -> ...)
    Any = 26,  // set/array .any($x -> ...)
    Get = 27,  // array/map .get(key)
    TryOr = 29,
};

struct Op;
// A closure (v3.3): parameters bound while its ops run.
struct Closure {
    std::vector<std::string> params;
    std::vector<Op> ops;
};

struct Op {
    std::variant<Term, UnaryOp, BinaryOp, Closure> value;
};

// A postfix program: values are pushed, operators pop their arguments (spec "Expressions").
struct Expression {
    std::vector<Op> ops;
};

// The library's one public key type (biscuit/public_key.hpp), checked when built.
using PublicKey = biscuit::PublicKey;

struct Scope {
    enum class Kind : std::uint8_t { Authority, Previous, PublicKey };
    Kind kind = Kind::Authority;
    std::optional<biscuit::PublicKey> public_key;  // set for Kind::PublicKey
    friend bool operator==(const Scope&, const Scope&) = default;
};

struct Rule {
    Predicate head;
    std::vector<Predicate> body;
    std::vector<Expression> expressions;
    std::vector<Scope> scopes;
};

// A query is a rule whose head is ignored (the engine uses an empty `query` head).
using Query = Rule;

struct Check {
    enum class Kind : std::uint8_t {
        One = 0,
        All = 1,
        Reject = 2
    };  // check if/check all/reject if
    Kind kind = Kind::One;
    std::vector<Query> queries;  // joined by `or`
};

struct Policy {
    enum class Kind : std::uint8_t { Allow = 0, Deny = 1 };
    Kind kind = Kind::Allow;
    std::vector<Query> queries;
};

struct BlockCode {
    std::vector<Fact> facts;
    std::vector<Rule> rules;
    std::vector<Check> checks;
    std::vector<Scope> scopes;  // block-level `trusting ...`: default scope of its rules/checks
    std::uint32_t version = 3;  // the block's Datalog version (wire field `version`)
};

struct AuthorizerCode {
    std::vector<Fact> facts;
    std::vector<Rule> rules;
    std::vector<Check> checks;
    std::vector<Policy> policies;
    std::vector<Scope> scopes;
};

}  // namespace biscuit::datalog
