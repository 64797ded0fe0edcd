#include "value_store.hpp"

#include <algorithm>
#include <biscuit/error.hpp>
#include <cstring>

namespace biscuit::datalog::internal {
namespace {

void append_handle(std::string& key, const Value& v) {
    key.push_back(static_cast<char>(v.kind));
    char buf[8];
    std::memcpy(buf, &v.bits, 8);
    key.append(buf, 8);
}

// What a value costs beyond its content: its slot, the index node and the key's copy.
constexpr std::size_t kEntryOverhead = 64;

}  // namespace

void ValueStore::account(std::size_t bytes) {
    if (bytes > max_bytes_ - bytes_) throw Error(ErrorKind::RunLimit, "TooMuchMemory");
    bytes_ += bytes;
}

std::uint32_t ValueStore::intern_string(std::string_view s) {
    if (auto it = string_ids_.find(s); it != string_ids_.end()) return it->second;
    account(s.size() + kEntryOverhead);
    const auto id = static_cast<std::uint32_t>(strings_.size());
    strings_.emplace_back(s);
    string_ids_.emplace(strings_.back(), id);
    return id;
}

Value ValueStore::intern_composite(Kind kind, Composite c) {
    std::string key(1, static_cast<char>(kind));
    if (kind == Kind::Bytes) {
        key.append(reinterpret_cast<const char*>(c.bytes.data()), c.bytes.size());
    } else if (kind == Kind::Map) {
        for (const auto& [k, v] : c.entries) {
            append_handle(key, k);
            append_handle(key, v);
        }
    } else {
        for (const auto& v : c.items) append_handle(key, v);
    }
    if (auto it = composite_ids_.find(key); it != composite_ids_.end()) {
        return Value{kind, it->second};
    }
    account(2 * key.size() + c.items.size() * sizeof(Value) + c.entries.size() * 2 * sizeof(Value) +
            kEntryOverhead);
    const auto id = static_cast<std::uint32_t>(composites_.size());
    composites_.push_back(std::move(c));
    composite_ids_.emplace(std::move(key), id);
    return Value{kind, id};
}

Value ValueStore::bytes(Bytes b) {
    Composite c;
    c.bytes = std::move(b);
    return intern_composite(Kind::Bytes, std::move(c));
}

Value ValueStore::set(std::vector<Value> items) {
    std::sort(items.begin(), items.end(), handle_less);
    items.erase(std::unique(items.begin(), items.end()), items.end());
    Composite c;
    c.items = std::move(items);
    return intern_composite(Kind::Set, std::move(c));
}

Value ValueStore::array(std::vector<Value> items) {
    Composite c;
    c.items = std::move(items);
    return intern_composite(Kind::Array, std::move(c));
}

Value ValueStore::map(std::vector<std::pair<Value, Value>> entries) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return handle_less(a.first, b.first); });
    std::vector<std::pair<Value, Value>> unique;
    for (auto& e : entries) {
        if (!unique.empty() && unique.back().first == e.first) {
            unique.back() = e;
        } else {
            unique.push_back(e);
        }
    }
    Composite c;
    c.entries = std::move(unique);
    return intern_composite(Kind::Map, std::move(c));
}

Value ValueStore::from_ground_term(const Term& t) {
    return from_term(t, [](const std::string&) -> std::uint64_t {
        throw Error(ErrorKind::FailedLogic, "InvalidFact", "a fact cannot hold variables");
    });
}

Term ValueStore::to_term(const Value& v) const {
    switch (v.kind) {
        case Kind::Variable:
            return Term::variable(std::to_string(v.bits));
        case Kind::Integer:
            return Term::integer(static_cast<std::int64_t>(v.bits));
        case Kind::String:
            return Term::string(strings_[v.bits]);
        case Kind::Date:
            return Term::date(v.bits);
        case Kind::Bytes:
            return Term::bytes(composites_[v.bits].bytes);
        case Kind::Bool:
            return Term::boolean(v.bits != 0);
        case Kind::Null:
            return Term::null();
        case Kind::Set:
        case Kind::Array: {
            std::vector<Term> items;
            for (const auto& i : composites_[v.bits].items) items.push_back(to_term(i));
            return v.kind == Kind::Set ? Term::set(std::move(items))
                                       : Term::array(std::move(items));
        }
        case Kind::Map: {
            std::vector<std::pair<MapKey, Term>> entries;
            for (const auto& [k, val] : composites_[v.bits].entries) {
                MapKey key = k.kind == Kind::Integer ? MapKey(static_cast<std::int64_t>(k.bits))
                                                     : MapKey(strings_[k.bits]);
                entries.emplace_back(std::move(key), to_term(val));
            }
            return Term::map(std::move(entries));
        }
    }
    return Term::null();
}

}  // namespace biscuit::datalog::internal
