#include "world.hpp"

#include <algorithm>
#include <biscuit/error.hpp>

namespace biscuit::datalog::internal {

// ---- Relation ----

std::size_t Relation::hash_row(const Value* values, Origins origins) const {
    std::size_t h = static_cast<std::size_t>(origins * 0xff51afd7ed558ccdULL);
    for (std::uint32_t i = 0; i < arity_; ++i) h = (h ^ hash_value(values[i])) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

bool Relation::equal_row(std::size_t i, const Value* values, Origins origins) const {
    if (origins_[i] != origins) return false;
    const Value* r = row(i);
    for (std::uint32_t j = 0; j < arity_; ++j)
        if (!(r[j] == values[j])) return false;
    return true;
}

void Relation::grow() {
    std::vector<std::uint32_t> table(table_.empty() ? 16 : table_.size() * 2, 0);
    const std::size_t mask = table.size() - 1;
    for (std::size_t i = 0; i < origins_.size(); ++i) {
        std::size_t slot = hash_row(row(i), origins_[i]) & mask;
        while (table[slot] != 0) slot = (slot + 1) & mask;
        table[slot] = static_cast<std::uint32_t>(i + 1);
    }
    table_ = std::move(table);
}

bool Relation::insert(const Value* values, Origins origins) {
    if ((origins_.size() + 1) * 2 > table_.size()) grow();
    const std::size_t mask = table_.size() - 1;
    std::size_t slot = hash_row(values, origins) & mask;
    while (table_[slot] != 0) {
        if (equal_row(table_[slot] - 1, values, origins)) return false;
        slot = (slot + 1) & mask;
    }
    table_[slot] = static_cast<std::uint32_t>(origins_.size() + 1);
    values_.insert(values_.end(), values, values + arity_);
    origins_.push_back(origins);
    return true;
}

namespace {
constexpr std::size_t kIndexThreshold = 16;
const std::vector<std::uint32_t> kNoRows;
}  // namespace

void Relation::refresh_index() {
    if (arity_ == 0 || origins_.size() < kIndexThreshold) return;
    for (; indexed_rows_ < origins_.size(); ++indexed_rows_)
        first_column_[row(indexed_rows_)[0]].push_back(static_cast<std::uint32_t>(indexed_rows_));
}

const std::vector<std::uint32_t>* Relation::rows_starting_with(const Value& first) const {
    if (indexed_rows_ == 0) return nullptr;
    auto it = first_column_.find(first);
    return it == first_column_.end() ? &kNoRows : &it->second;
}

// ---- World ----

World::World(const RunLimits& limits)
    : limits_(limits),
      meter_(limits.max_time),
      store_(limits.max_interned_bytes),
      evaluator_(store_, meter_, limits.max_value_bytes) {}

void World::restart_clock() {
    meter_.restart();
}

void World::add_fact(const Fact& fact, Origins origins) {
    std::vector<Value> values;
    values.reserve(fact.terms.size());
    for (const auto& t : fact.terms) values.push_back(store_.from_ground_term(t));
    const auto arity = static_cast<std::uint32_t>(values.size());
    auto [it, _] = relations_.try_emplace(key(store_.intern_string(fact.name), arity), arity);
    if (it->second.insert(values.data(), origins)) ++fact_count_;
}

bool World::expressions_hold(const CompiledRule& rule) {
    for (const auto& e : rule.expressions) {
        Value v = evaluator_.evaluate(rule, e.ops, bindings_);
        if (v.kind != Kind::Bool) throw Error(ErrorKind::Execution, "InvalidType");
        if (v.bits == 0) return false;
    }
    return true;
}

template <typename F>
bool World::join(const CompiledRule& rule, std::size_t index, Origins origins, std::size_t delta,
                 F& on_match) {
    if (index == rule.body.size()) return on_match(origins);
    const CompiledPredicate& p = rule.body[index];
    const auto arity = static_cast<std::uint32_t>(p.terms.size());
    auto it = relations_.find(key(p.name, arity));
    if (it == relations_.end()) return true;
    const Relation& relation = it->second;
    std::size_t first = 0, rows = relation.size();
    if (delta == kRound) {
        rows = relation.cur_end;
    } else if (delta != kAllRows) {
        if (index < delta) {
            rows = relation.old_end;
        } else if (index == delta) {
            first = relation.old_end;
            rows = relation.cur_end;
        } else {
            rows = relation.cur_end;
        }
    }
    // With the first value known, visit only the rows that start with it.
    const std::vector<std::uint32_t>* candidates = nullptr;
    if (arity > 0) {
        const Value& t = p.terms[0];
        if (t.kind != Kind::Variable) {
            candidates = relation.rows_starting_with(t);
        } else if (bindings_.bound[t.bits]) {
            candidates = relation.rows_starting_with(bindings_.values[t.bits]);
        }
    }
    std::size_t next = 0;
    if (candidates) {
        next = static_cast<std::size_t>(
            std::lower_bound(candidates->begin(), candidates->end(), first) - candidates->begin());
    }
    for (std::size_t r = first;; ++r) {
        if (candidates) {
            if (next >= candidates->size() || (*candidates)[next] >= rows) break;
            r = (*candidates)[next++];
        } else if (r >= rows) {
            break;
        }
        meter_.charge();
        const Origins row_origins = relation.origins(r);
        if ((row_origins & ~rule.trusted) != 0) continue;
        const Value* values = relation.row(r);
        const std::size_t mark = touched_.size();
        bool ok = true;
        for (std::uint32_t j = 0; j < arity && ok; ++j) {
            const Value& t = p.terms[j];
            if (t.kind == Kind::Variable) {
                const auto v = static_cast<std::uint32_t>(t.bits);
                if (bindings_.bound[v]) {
                    ok = bindings_.values[v] == values[j];
                } else {
                    bindings_.values[v] = values[j];
                    bindings_.bound[v] = 1;
                    touched_.push_back(v);
                }
            } else {
                ok = t == values[j];
            }
        }
        bool keep_going = true;
        if (ok) keep_going = join(rule, index + 1, origins | row_origins, delta, on_match);
        while (touched_.size() > mark) {
            bindings_.bound[touched_.back()] = 0;
            touched_.pop_back();
        }
        if (!keep_going) return false;
    }
    return true;
}

template <typename F>
bool World::for_each_match(const CompiledRule& rule, F&& on_match, std::size_t delta) {
    for (const CompiledPredicate& p : rule.body) {
        auto it = relations_.find(key(p.name, static_cast<std::uint32_t>(p.terms.size())));
        if (it != relations_.end()) it->second.refresh_index();
    }
    bindings_.values.assign(rule.variable_count, Value{});
    bindings_.bound.assign(rule.variable_count, 0);
    touched_.clear();
    return join(rule, 0, 0, delta, on_match);
}

// Derived facts go straight into their relation: joins of this round stop at each relation's
// cur_end, so they only see them next round, and duplicates are dropped as they appear.
void World::derive(const CompiledRule& rule, std::size_t delta) {
    const auto arity = static_cast<std::uint32_t>(rule.head.terms.size());
    const std::uint64_t head_key = key(rule.head.name, arity);
    for_each_match(
        rule,
        [&](Origins origins) {
            if (!expressions_hold(rule)) return true;
            head_values_.clear();
            for (const Value& t : rule.head.terms) {
                if (t.kind == Kind::Variable) {
                    // Unsafe rules are rejected before running; stay safe regardless.
                    if (!bindings_.bound[t.bits])
                        throw Error(ErrorKind::Execution, "UnknownVariable");
                    head_values_.push_back(bindings_.values[t.bits]);
                } else {
                    head_values_.push_back(t);
                }
            }
            auto [it, _] = relations_.try_emplace(head_key, arity);
            if (it->second.insert(head_values_.data(), origins | rule.block)) {
                // The limit is checked after each round, as the reference does; this bounds
                // the memory one round may take on the way.
                if (++fact_count_ > limits_.max_facts * 4 + 1024)
                    throw Error(ErrorKind::RunLimit, "TooManyFacts");
            }
            return true;
        },
        delta);
}

void World::run() {
    // Semi-naive fixpoint: after the first round, a rule only looks at combinations that use at
    // least one fact derived in the previous round.
    for (auto& [_, relation] : relations_) {
        relation.old_end = 0;
        relation.cur_end = relation.size();
    }
    std::size_t iterations = 0;
    for (bool first_round = true;; first_round = false) {
        const std::size_t before = fact_count_;
        for (const CompiledRule& rule : rules_) {
            if (first_round) {
                derive(rule, kRound);
                continue;
            }
            for (std::size_t i = 0; i < rule.body.size(); ++i) {
                const CompiledPredicate& p = rule.body[i];
                auto it = relations_.find(key(p.name, static_cast<std::uint32_t>(p.terms.size())));
                if (it == relations_.end() || it->second.old_end == it->second.cur_end) continue;
                derive(rule, i);
            }
        }
        for (auto& [_, relation] : relations_) {
            relation.old_end = relation.cur_end;
            relation.cur_end = relation.size();
        }
        if (fact_count_ == before) break;
        ++iterations;
        if (iterations >= limits_.max_iterations)
            throw Error(ErrorKind::RunLimit, "TooManyIterations");
        if (fact_count_ >= limits_.max_facts) throw Error(ErrorKind::RunLimit, "TooManyFacts");
        meter_.check_now();
    }
}

bool World::query_matches(const CompiledRule& query) {
    bool found = false;
    for_each_match(query, [&](Origins) {
        if (expressions_hold(query)) {
            found = true;
            return false;
        }
        return true;
    });
    return found;
}

bool World::query_matches_all(const CompiledRule& query) {
    // As the reference, and failing closed: without any match, `check all` does not pass.
    bool found = false;
    bool all = true;
    for_each_match(query, [&](Origins) {
        found = true;
        if (!expressions_hold(query)) {
            all = false;
            return false;
        }
        return true;
    });
    return found && all;
}

std::vector<Fact> World::query_facts(const CompiledRule& query) {
    std::vector<std::vector<Value>> rows;
    for_each_match(query, [&](Origins) {
        if (!expressions_hold(query)) return true;
        std::vector<Value> row;
        for (const Value& t : query.head.terms) {
            if (t.kind == Kind::Variable) {
                if (!bindings_.bound[t.bits]) throw Error(ErrorKind::Execution, "UnknownVariable");
                row.push_back(bindings_.values[t.bits]);
            } else {
                row.push_back(t);
            }
        }
        // Rows may repeat before deduplication: bound them like one round of derivations.
        if (rows.size() > limits_.max_facts * 4 + 1024)
            throw Error(ErrorKind::RunLimit, "TooManyFacts");
        rows.push_back(std::move(row));
        return true;
    });
    // Deduplicate on interned handles (cheap), then convert each distinct row once.
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), handle_less);
    });
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    std::vector<Fact> out;
    out.reserve(rows.size());
    const std::string name = store_.string(query.head.name);
    for (const auto& row : rows) {
        Fact f;
        f.name = name;
        for (const Value& v : row) f.terms.push_back(store_.to_term(v));
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<WorldView::OriginFact> World::facts() const {
    std::vector<WorldView::OriginFact> out;
    for (const auto& [k, relation] : relations_) {
        const std::string& name = store_.string(k >> 32);
        for (std::size_t r = 0; r < relation.size(); ++r) {
            WorldView::OriginFact f;
            const Origins o = relation.origins(r);
            for (std::uint64_t b = 0; b < kMaxBlocks; ++b)
                if (o & (Origins{1} << b)) f.origin.push_back(b);
            if (o & kAuthorizerBit) f.origin.push_back(kAuthorizerOrigin);
            f.fact.name = name;
            const Value* row = relation.row(r);
            for (std::uint32_t j = 0; j < relation.arity(); ++j)
                f.fact.terms.push_back(store_.to_term(row[j]));
            out.push_back(std::move(f));
        }
    }
    return out;
}

}  // namespace biscuit::datalog::internal
