#pragma once

// Interned runtime values: the engine compares and hashes 16-byte handles instead of AST terms.

#include <biscuit/datalog/ast.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace biscuit::datalog::internal {

enum class Kind : std::uint8_t {
    Variable,
    Integer,
    String,
    Date,
    Bytes,
    Bool,
    Set,
    Null,
    Array,
    Map
};

// For strings `bits` is a symbol id; for bytes, sets, arrays and maps it is the id of interned
// content, so equal values always have equal handles.
struct Value {
    Kind kind = Kind::Null;
    std::uint64_t bits = 0;
    friend bool operator==(const Value&, const Value&) = default;
};

inline std::size_t hash_value(const Value& v) {
    std::uint64_t h = v.bits * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h ^ (h >> 29) ^ static_cast<std::uint64_t>(v.kind));
}

inline bool handle_less(const Value& a, const Value& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.bits < b.bits;
}

struct Composite {
    Bytes bytes;                                   // Kind::Bytes
    std::vector<Value> items;                      // Set (sorted by handle), Array
    std::vector<std::pair<Value, Value>> entries;  // Map (sorted by key handle)
};

// Holds every distinct value of one run. Its size is bounded: an insertion past `max_bytes`
// (content plus an estimate of the index around it) throws Error{RunLimit, "TooMuchMemory"}.
class ValueStore {
  public:
    explicit ValueStore(std::size_t max_bytes = static_cast<std::size_t>(-1))
        : max_bytes_(max_bytes) {}

    std::uint32_t intern_string(std::string_view s);
    const std::string& string(std::uint64_t id) const { return strings_[id]; }

    Value bytes(Bytes b);
    Value set(std::vector<Value> items);  // sorts and deduplicates
    Value array(std::vector<Value> items);
    Value map(std::vector<std::pair<Value, Value>> entries);
    const Composite& composite(std::uint64_t id) const { return composites_[id]; }

    // AST <-> runtime. Variables are mapped through `variable_id`; a null callback rejects them.
    template <typename F>
    Value from_term(const Term& t, F&& variable_id);
    Value from_ground_term(const Term& t);
    Term to_term(const Value& v) const;

    std::size_t size() const { return strings_.size() + composites_.size(); }
    std::size_t bytes() const { return bytes_; }

  private:
    Value intern_composite(Kind kind, Composite c);
    void account(std::size_t bytes);

    std::size_t max_bytes_;
    std::size_t bytes_ = 0;

    std::deque<std::string> strings_;
    std::unordered_map<std::string_view, std::uint32_t> string_ids_;
    std::deque<Composite> composites_;
    std::unordered_map<std::string, std::uint32_t> composite_ids_;
};

template <typename F>
Value ValueStore::from_term(const Term& t, F&& variable_id) {
    return std::visit(
        [&](const auto& x) -> Value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Variable>) {
                return Value{Kind::Variable, variable_id(x.name)};
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                return Value{Kind::Integer, static_cast<std::uint64_t>(x)};
            } else if constexpr (std::is_same_v<T, std::string>) {
                return Value{Kind::String, intern_string(x)};
            } else if constexpr (std::is_same_v<T, Date>) {
                return Value{Kind::Date, x.seconds};
            } else if constexpr (std::is_same_v<T, Bytes>) {
                return bytes(x);
            } else if constexpr (std::is_same_v<T, bool>) {
                return Value{Kind::Bool, x ? 1u : 0u};
            } else if constexpr (std::is_same_v<T, Null>) {
                return Value{Kind::Null, 0};
            } else if constexpr (std::is_same_v<T, Set> || std::is_same_v<T, Array>) {
                std::vector<Value> items;
                items.reserve(x.items.size());
                for (const auto& i : x.items) items.push_back(from_term(i, variable_id));
                if constexpr (std::is_same_v<T, Set>)
                    return set(std::move(items));
                else
                    return array(std::move(items));
            } else {
                std::vector<std::pair<Value, Value>> entries;
                for (const auto& [k, v] : x.entries) {
                    Value key = std::holds_alternative<std::int64_t>(k)
                                    ? Value{Kind::Integer,
                                            static_cast<std::uint64_t>(std::get<std::int64_t>(k))}
                                    : Value{Kind::String, intern_string(std::get<std::string>(k))};
                    entries.emplace_back(key, from_term(v, variable_id));
                }
                return map(std::move(entries));
            }
        },
        t.value);
}

}  // namespace biscuit::datalog::internal
