#pragma once

// The fact store and the rule evaluator: a naive fixpoint where every fact carries the set of
// blocks it was derived from, and every rule sees only facts its trusted origins cover.

#include <biscuit/datalog/engine.hpp>
#include <chrono>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "compiled_rule.hpp"
#include "expression_evaluator.hpp"
#include "value_store.hpp"
#include "work_meter.hpp"

namespace biscuit::datalog::internal {

// The facts of one predicate name and arity, deduplicated by (values, origins).
class Relation {
  public:
    explicit Relation(std::uint32_t arity) : arity_(arity) {}
    bool insert(const Value* values, Origins origins);
    std::size_t size() const { return origins_.size(); }
    std::uint32_t arity() const { return arity_; }
    const Value* row(std::size_t i) const { return values_.data() + i * arity_; }
    Origins origins(std::size_t i) const { return origins_[i]; }

    // Semi-naive evaluation: rows [0, old_end) were known before the previous round, rows
    // [old_end, cur_end) are the ones it derived; later rows belong to the next round.
    std::size_t old_end = 0;
    std::size_t cur_end = 0;

    // Rows whose first value is `first`, ascending; null when the relation is too small to be
    // worth indexing (scan it). Call refresh_index() after inserting, before looking up: lookups
    // never modify the index, so joins may nest over one relation.
    const std::vector<std::uint32_t>* rows_starting_with(const Value& first) const;
    void refresh_index();

  private:
    std::size_t hash_row(const Value* values, Origins origins) const;
    bool equal_row(std::size_t i, const Value* values, Origins origins) const;
    void grow();

    std::uint32_t arity_;
    std::vector<Value> values_;
    std::vector<Origins> origins_;
    std::vector<std::uint32_t> table_;  // open addressing: row index + 1, 0 when empty

    struct ValueHash {
        std::size_t operator()(const Value& v) const { return hash_value(v); }
    };
    std::unordered_map<Value, std::vector<std::uint32_t>, ValueHash> first_column_;
    std::size_t indexed_rows_ = 0;
};

class World {
  public:
    explicit World(const RunLimits& limits);

    ValueStore& store() { return store_; }
    const ValueStore& store() const { return store_; }

    void add_fact(const Fact& fact, Origins origins);
    void add_rule(CompiledRule rule) { rules_.push_back(std::move(rule)); }

    // Runs the rules to a fixpoint. Throws Error{RunLimit, ...} or Error{Execution, ...}.
    void run();

    // A query matches when some combination of visible facts satisfies its body.
    bool query_matches(const CompiledRule& query);
    // `check all`: every combination that matches the predicates satisfies the expressions.
    bool query_matches_all(const CompiledRule& query);
    std::vector<Fact> query_facts(const CompiledRule& query);

    std::vector<WorldView::OriginFact> facts() const;

    // Restarts the wall-clock budget (for queries made after authorization).
    void restart_clock();
    // Held by AuthorizationOutcome::query() and world(): a query interns values and restarts the
    // clock, so queries over one world take turns.
    std::mutex query_mutex;

    // The authorizer's view of the code it ran, for WorldView.
    WorldView code_view;

  private:
    // Calls on_match(bindings, origins) for each combination of visible facts matching the
    // body's predicates; stops when it returns false. Returns false if stopped.
    // Which rows each body predicate reads: every row, or (semi-naive) the new rows for the
    // predicate at `delta`, older rows before it and all rows of the round after it.
    static constexpr std::size_t kAllRows = static_cast<std::size_t>(-1);
    static constexpr std::size_t kRound = static_cast<std::size_t>(-2);

    template <typename F>
    bool for_each_match(const CompiledRule& rule, F&& on_match, std::size_t delta = kAllRows);
    template <typename F>
    bool join(const CompiledRule& rule, std::size_t index, Origins origins, std::size_t delta,
              F& on_match);
    void derive(const CompiledRule& rule, std::size_t delta);
    bool expressions_hold(const CompiledRule& rule);
    std::size_t fact_count() const { return fact_count_; }

    static std::uint64_t key(std::uint32_t name, std::uint32_t arity) {
        return (static_cast<std::uint64_t>(name) << 32) | arity;
    }

    RunLimits limits_;
    WorkMeter meter_;
    ValueStore store_;
    ExpressionEvaluator evaluator_;
    std::unordered_map<std::uint64_t, Relation> relations_;
    std::size_t fact_count_ = 0;
    std::vector<CompiledRule> rules_;
    Bindings bindings_;
    std::vector<Value> head_values_;
    std::vector<std::uint32_t> touched_;  // variables bound in the current join, to undo
};

}  // namespace biscuit::datalog::internal
