#include "expression_evaluator.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <biscuit/error.hpp>
#include <functional>

namespace biscuit::datalog::internal {
namespace {

constexpr std::size_t kMaxCachedRegexes = 64;
constexpr std::int64_t kMaxRegexMemory = 1 << 20;
constexpr int kMaxClosureDepth = 16;
// Stack entries that stand for a closure rather than a value.
constexpr Kind kClosureMarker = Kind::Variable;

[[noreturn]] void execution(const char* what) {
    throw Error(ErrorKind::Execution, what);
}

std::int64_t as_int(Value v) {
    return static_cast<std::int64_t>(v.bits);
}
Value make_int(std::int64_t i) {
    return Value{Kind::Integer, static_cast<std::uint64_t>(i)};
}
Value make_bool(bool b) {
    return Value{Kind::Bool, b ? 1u : 0u};
}

bool is_ordered(Kind k) {
    return k == Kind::Integer || k == Kind::Date;
}

}  // namespace

ExpressionEvaluator::ExpressionEvaluator(ValueStore& store, WorkMeter& meter,
                                         std::size_t max_value_bytes)
    : store_(store), meter_(meter), max_value_bytes_(max_value_bytes) {}
ExpressionEvaluator::~ExpressionEvaluator() = default;

Value ExpressionEvaluator::evaluate(const CompiledRule& rule, const std::vector<CompiledOp>& ops,
                                    Bindings& bindings) {
    const std::size_t base = stack_.size();
    for (const CompiledOp& op : ops) {
        meter_.charge();
        switch (op.tag) {
            case CompiledOp::Tag::Value: {
                Value v = op.value;
                if (v.kind == Kind::Variable) {
                    if (v.bits >= bindings.bound.size() || !bindings.bound[v.bits])
                        execution("UnknownVariable");
                    v = bindings.values[v.bits];
                }
                stack_.push_back(v);
                break;
            }
            case CompiledOp::Tag::Closure:
                stack_.push_back(Value{kClosureMarker, op.closure});
                break;
            case CompiledOp::Tag::Unary: {
                if (stack_.size() < base + 1) execution("InvalidStack");
                Value v = stack_.back();
                if (v.kind == kClosureMarker) execution("InvalidType");
                stack_.back() = unary(static_cast<UnaryOp>(op.op), v);
                break;
            }
            case CompiledOp::Tag::Binary: {
                if (stack_.size() < base + 2) execution("InvalidStack");
                Value right = stack_.back();
                stack_.pop_back();
                Value left = stack_.back();
                stack_.pop_back();
                Value result = binary(rule, static_cast<BinaryOp>(op.op), left, right, bindings);
                stack_.push_back(result);
                break;
            }
        }
    }
    if (stack_.size() != base + 1) {
        stack_.resize(base);
        execution("InvalidStack");
    }
    Value result = stack_.back();
    stack_.pop_back();
    if (result.kind == kClosureMarker) execution("InvalidType");
    return result;
}

Value ExpressionEvaluator::unary(UnaryOp op, Value v) {
    switch (op) {
        case UnaryOp::Negate:
            if (v.kind != Kind::Bool) execution("InvalidType");
            return make_bool(v.bits == 0);
        case UnaryOp::Parens:
            return v;
        case UnaryOp::Length:
            switch (v.kind) {
                case Kind::String:
                    return make_int(static_cast<std::int64_t>(store_.string(v.bits).size()));
                case Kind::Bytes:
                    return make_int(
                        static_cast<std::int64_t>(store_.composite(v.bits).bytes.size()));
                case Kind::Set:
                case Kind::Array:
                    return make_int(
                        static_cast<std::int64_t>(store_.composite(v.bits).items.size()));
                case Kind::Map:
                    return make_int(
                        static_cast<std::int64_t>(store_.composite(v.bits).entries.size()));
                default:
                    execution("InvalidType");
            }
        case UnaryOp::TypeOf: {
            static constexpr const char* kNames[] = {"variable", "integer", "string", "date",
                                                     "bytes",    "bool",    "set",    "null",
                                                     "array",    "map"};
            return Value{Kind::String,
                         store_.intern_string(kNames[static_cast<std::size_t>(v.kind)])};
        }
    }
    execution("InvalidType");
}

void ExpressionEvaluator::admit(std::size_t bytes) const {
    if (bytes > max_value_bytes_) execution("ValueTooLarge");
}

bool ExpressionEvaluator::contains(const std::string& text, const std::string& part) {
    meter_.charge_bytes(text.size() + part.size());
    // A plain search is quadratic in the worst case ("aaa...ab" in "aaa...a"); Boyer-Moore is
    // linear, and worth its tables only for longer patterns.
    if (part.size() < 16) return text.find(part) != std::string::npos;
    return std::search(text.begin(), text.end(),
                       std::boyer_moore_searcher(part.begin(), part.end())) != text.end();
}

bool ExpressionEvaluator::regex_match(std::uint64_t text, std::uint64_t pattern) {
    auto it = regexes_.find(pattern);
    if (it == regexes_.end()) {
        RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(kMaxRegexMemory);
        auto re = std::make_unique<RE2>(store_.string(pattern), options);
        if (!re->ok()) execution("InvalidRegex");
        if (regexes_.size() >= kMaxCachedRegexes) regexes_.clear();
        it = regexes_.emplace(pattern, std::move(re)).first;
    }
    meter_.charge_bytes(store_.string(text).size());
    return RE2::PartialMatch(store_.string(text), *it->second);
}

Value ExpressionEvaluator::run_closure(const CompiledRule& rule, std::uint32_t closure,
                                       const Value* argument, Bindings& bindings) {
    const CompiledClosure& c = rule.closures.at(closure);
    if (c.params.size() != (argument ? 1u : 0u)) execution("InvalidType");
    if (++depth_ > kMaxClosureDepth) {
        --depth_;
        execution("InvalidStack");
    }
    struct DepthGuard {
        int& d;
        ~DepthGuard() { --d; }
    } guard{depth_};
    if (argument) {
        const std::uint32_t p = c.params[0];
        if (p >= bindings.values.size()) execution("InvalidStack");
        bindings.values[p] = *argument;
        bindings.bound[p] = 1;
        // Unbound again on every exit, errors too: `try_or` may carry on after one.
        struct Unbind {
            std::uint8_t& b;
            ~Unbind() { b = 0; }
        } unbind{bindings.bound[p]};
        return evaluate(rule, c.ops, bindings);
    }
    return evaluate(rule, c.ops, bindings);
}

// `receiver.try_or(fallback)`: the receiver is a closure without parameters; when running it
// fails with an execution error (a type error, an overflow, ...) the value is the fallback.
// Run limits are not caught: a token cannot buy more time by failing.
Value ExpressionEvaluator::try_or(const CompiledRule& rule, Value left, Value right,
                                  Bindings& bindings) {
    if (left.kind != kClosureMarker || right.kind == kClosureMarker) execution("InvalidType");
    const std::size_t stack_mark = stack_.size();
    try {
        return run_closure(rule, static_cast<std::uint32_t>(left.bits), nullptr, bindings);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Execution) throw;
        stack_.resize(stack_mark);
        return right;
    }
}

Value ExpressionEvaluator::binary(const CompiledRule& rule, BinaryOp op, Value left, Value right,
                                  Bindings& bindings) {
    // Closures are only valid as the right side of the lazy and collection operators.
    const bool lazy = op == BinaryOp::LazyAnd || op == BinaryOp::LazyOr || op == BinaryOp::All ||
                      op == BinaryOp::Any;
    if (op == BinaryOp::TryOr) return try_or(rule, left, right, bindings);
    if (left.kind == kClosureMarker) execution("InvalidType");
    if ((right.kind == kClosureMarker) != lazy) execution("InvalidType");

    switch (op) {
        case BinaryOp::LessThan:
        case BinaryOp::GreaterThan:
        case BinaryOp::LessOrEqual:
        case BinaryOp::GreaterOrEqual: {
            if (left.kind != right.kind || !is_ordered(left.kind)) execution("InvalidType");
            const bool lt =
                left.kind == Kind::Integer ? as_int(left) < as_int(right) : left.bits < right.bits;
            const bool gt =
                left.kind == Kind::Integer ? as_int(left) > as_int(right) : left.bits > right.bits;
            switch (op) {
                case BinaryOp::LessThan:
                    return make_bool(lt);
                case BinaryOp::GreaterThan:
                    return make_bool(gt);
                case BinaryOp::LessOrEqual:
                    return make_bool(!gt);
                default:
                    return make_bool(!lt);
            }
        }
        case BinaryOp::Equal:
        case BinaryOp::NotEqual:
            if (left.kind != right.kind) execution("InvalidType");
            return make_bool((left == right) == (op == BinaryOp::Equal));
        case BinaryOp::HeterogeneousEqual:
            return make_bool(left == right);
        case BinaryOp::HeterogeneousNotEqual:
            return make_bool(!(left == right));
        case BinaryOp::Contains: {
            if (left.kind == Kind::String && right.kind == Kind::String) {
                return make_bool(contains(store_.string(left.bits), store_.string(right.bits)));
            }
            if (left.kind == Kind::Set) {
                const auto& items = store_.composite(left.bits).items;
                if (right.kind == Kind::Set) {
                    const auto& sub = store_.composite(right.bits).items;
                    meter_.charge_bytes((items.size() + sub.size()) * sizeof(Value));
                    return make_bool(std::includes(items.begin(), items.end(), sub.begin(),
                                                   sub.end(), handle_less));
                }
                // As the reference: membership of integers, dates, booleans, strings and bytes.
                if (right.kind == Kind::Null || right.kind == Kind::Array ||
                    right.kind == Kind::Map)
                    execution("InvalidType");
                return make_bool(
                    std::binary_search(items.begin(), items.end(), right, handle_less));
            }
            if (left.kind == Kind::Array) {
                const auto& items = store_.composite(left.bits).items;
                meter_.charge_bytes(items.size() * sizeof(Value));
                return make_bool(std::find(items.begin(), items.end(), right) != items.end());
            }
            if (left.kind == Kind::Map) {
                const auto& entries = store_.composite(left.bits).entries;
                meter_.charge_bytes(entries.size() * 2 * sizeof(Value));
                for (const auto& e : entries)
                    if (e.first == right) return make_bool(true);
                return make_bool(false);
            }
            execution("InvalidType");
        }
        case BinaryOp::Prefix:
        case BinaryOp::Suffix:
        case BinaryOp::Regex: {
            if (op != BinaryOp::Regex && left.kind == Kind::Array && right.kind == Kind::Array) {
                const auto& a = store_.composite(left.bits).items;
                const auto& b = store_.composite(right.bits).items;
                meter_.charge_bytes(b.size() * sizeof(Value));
                if (b.size() > a.size()) return make_bool(false);
                const auto from = op == BinaryOp::Prefix
                                      ? a.begin()
                                      : a.end() - static_cast<std::ptrdiff_t>(b.size());
                return make_bool(std::equal(b.begin(), b.end(), from));
            }
            if (left.kind != Kind::String || right.kind != Kind::String) execution("InvalidType");
            const std::string& s = store_.string(left.bits);
            const std::string& p = store_.string(right.bits);
            meter_.charge_bytes(p.size());
            if (op == BinaryOp::Prefix) return make_bool(s.starts_with(p));
            if (op == BinaryOp::Suffix) return make_bool(s.ends_with(p));
            return make_bool(regex_match(left.bits, right.bits));
        }
        case BinaryOp::Add:
            if (left.kind == Kind::String && right.kind == Kind::String) {
                const std::string& a = store_.string(left.bits);
                const std::string& b = store_.string(right.bits);
                admit(a.size() + b.size());
                meter_.charge_bytes(a.size() + b.size());
                std::string s;
                s.reserve(a.size() + b.size());
                s += a;
                s += b;
                return Value{Kind::String, store_.intern_string(s)};
            }
            [[fallthrough]];
        case BinaryOp::Sub:
        case BinaryOp::Mul:
        case BinaryOp::Div:
        case BinaryOp::BitwiseAnd:
        case BinaryOp::BitwiseOr:
        case BinaryOp::BitwiseXor: {
            if (left.kind != Kind::Integer || right.kind != Kind::Integer) execution("InvalidType");
            const std::int64_t a = as_int(left), b = as_int(right);
            std::int64_t r = 0;
            switch (op) {
                case BinaryOp::Add:
                    if (__builtin_add_overflow(a, b, &r)) execution("Overflow");
                    break;
                case BinaryOp::Sub:
                    if (__builtin_sub_overflow(a, b, &r)) execution("Overflow");
                    break;
                case BinaryOp::Mul:
                    if (__builtin_mul_overflow(a, b, &r)) execution("Overflow");
                    break;
                case BinaryOp::Div:
                    if (b == 0) execution("DivideByZero");
                    if (a == INT64_MIN && b == -1) execution("Overflow");
                    r = a / b;
                    break;
                case BinaryOp::BitwiseAnd:
                    r = a & b;
                    break;
                case BinaryOp::BitwiseOr:
                    r = a | b;
                    break;
                default:
                    r = a ^ b;
                    break;
            }
            return make_int(r);
        }
        case BinaryOp::And:
        case BinaryOp::Or:
            if (left.kind != Kind::Bool || right.kind != Kind::Bool) execution("InvalidType");
            return make_bool(op == BinaryOp::And ? (left.bits && right.bits)
                                                 : (left.bits || right.bits));
        case BinaryOp::LazyAnd:
        case BinaryOp::LazyOr: {
            if (left.kind != Kind::Bool) execution("InvalidType");
            const bool l = left.bits != 0;
            if (op == BinaryOp::LazyAnd && !l) return make_bool(false);
            if (op == BinaryOp::LazyOr && l) return make_bool(true);
            // As the reference: the right side's value, whatever its type (a non-boolean
            // expression result is refused where the expression ends).
            return run_closure(rule, static_cast<std::uint32_t>(right.bits), nullptr, bindings);
        }
        case BinaryOp::All:
        case BinaryOp::Any: {
            if (rule.closures.at(static_cast<std::size_t>(right.bits)).shadows)
                execution("ShadowedVariable");
            if (left.kind != Kind::Set && left.kind != Kind::Array && left.kind != Kind::Map)
                execution("InvalidType");
            // Copy: the closure may intern values and grow the store. A map is visited as
            // `[key, value]` arrays, as the reference does.
            std::vector<Value> items;
            if (left.kind == Kind::Map) {
                const auto entries = store_.composite(left.bits).entries;
                items.reserve(entries.size());
                for (const auto& [k, v] : entries) {
                    admit(2 * sizeof(Value));
                    meter_.charge();
                    items.push_back(store_.array({k, v}));
                }
            } else {
                items = store_.composite(left.bits).items;
            }
            meter_.charge_bytes(items.size() * sizeof(Value));
            const bool want = op == BinaryOp::Any;
            for (const Value& item : items) {
                Value r =
                    run_closure(rule, static_cast<std::uint32_t>(right.bits), &item, bindings);
                if (r.kind != Kind::Bool) execution("InvalidType");
                if ((r.bits != 0) == want) return make_bool(want);
            }
            return make_bool(!want);
        }
        case BinaryOp::Intersection:
        case BinaryOp::Union: {
            if (left.kind != Kind::Set || right.kind != Kind::Set) execution("InvalidType");
            const auto& a = store_.composite(left.bits).items;
            const auto& b = store_.composite(right.bits).items;
            const std::size_t most =
                op == BinaryOp::Union ? a.size() + b.size() : std::min(a.size(), b.size());
            admit(most * sizeof(Value));
            meter_.charge_bytes((a.size() + b.size()) * sizeof(Value));
            std::vector<Value> out;
            if (op == BinaryOp::Intersection) {
                std::set_intersection(a.begin(), a.end(), b.begin(), b.end(),
                                      std::back_inserter(out), handle_less);
            } else {
                std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out),
                               handle_less);
            }
            return store_.set(std::move(out));
        }
        case BinaryOp::Get: {
            if (left.kind == Kind::Array) {
                if (right.kind != Kind::Integer) execution("InvalidType");
                const auto& items = store_.composite(left.bits).items;
                const std::int64_t i = as_int(right);
                if (i < 0 || static_cast<std::uint64_t>(i) >= items.size())
                    return Value{Kind::Null, 0};
                return items[static_cast<std::size_t>(i)];
            }
            if (left.kind == Kind::Map) {
                // Keys are integers or strings; any other key type is a type error.
                if (right.kind != Kind::Integer && right.kind != Kind::String)
                    execution("InvalidType");
                const auto& entries = store_.composite(left.bits).entries;
                meter_.charge_bytes(entries.size() * 2 * sizeof(Value));
                for (const auto& e : entries)
                    if (e.first == right) return e.second;
                return Value{Kind::Null, 0};
            }
            execution("InvalidType");
        }
        default:
            execution("InvalidType");
    }
}

}  // namespace biscuit::datalog::internal
