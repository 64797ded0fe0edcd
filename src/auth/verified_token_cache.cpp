#include "auth/verified_token_cache.hpp"

#include <cstring>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace ecf::auth {
namespace {

namespace datalog = biscuit::datalog;

// `$var < <date>` or `$var <= <date>` as postfix ops; the date, if so.
std::optional<std::uint64_t> upper_bound_of(const datalog::Expression& e, const std::string& var) {
    if (e.ops.size() != 3) return std::nullopt;
    const auto* left = std::get_if<datalog::Term>(&e.ops[0].value);
    const auto* right = std::get_if<datalog::Term>(&e.ops[1].value);
    const auto* op = std::get_if<datalog::BinaryOp>(&e.ops[2].value);
    if (!left || !right || !op) return std::nullopt;
    if (*op != datalog::BinaryOp::LessThan && *op != datalog::BinaryOp::LessOrEqual)
        return std::nullopt;
    const auto* variable = std::get_if<datalog::Variable>(&left->value);
    const auto* date = std::get_if<datalog::Date>(&right->value);
    if (!variable || variable->name != var || !date) return std::nullopt;
    return date->seconds;
}

// A `check if` with one query `time($t), ..., $t < D, ...`: it fails at every time past D.
std::optional<std::uint64_t> deadline_of(const datalog::Check& check) {
    if (check.kind != datalog::Check::Kind::One || check.queries.size() != 1) return std::nullopt;
    const auto& query = check.queries[0];
    std::optional<std::uint64_t> earliest;
    for (const auto& predicate : query.body) {
        if (predicate.name != "time" || predicate.terms.size() != 1) continue;
        const auto* variable = std::get_if<datalog::Variable>(&predicate.terms[0].value);
        if (!variable) continue;
        for (const auto& expression : query.expressions) {
            if (auto bound = upper_bound_of(expression, variable->name)) {
                if (!earliest || *bound < *earliest) earliest = bound;
            }
        }
    }
    return earliest;
}

}  // namespace

std::size_t VerifiedTokenCache::DigestHash::operator()(const Digest& d) const {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

VerifiedTokenCache::VerifiedTokenCache(std::size_t max_entries) : max_entries_(max_entries) {}

VerifiedTokenCache::Digest VerifiedTokenCache::digest_of(std::string_view text) {
    // The same type: std::array of 32 unsigned chars.
    return sha256(text);
}

std::optional<VerifiedTokenCache::Clock::time_point> VerifiedTokenCache::lifetime_end(
    const biscuit::Biscuit& token) {
    std::optional<std::uint64_t> earliest;
    for (const auto& block : token.blocks()) {
        for (const auto& check : block.code.checks) {
            if (auto bound = deadline_of(check); bound && (!earliest || *bound < *earliest))
                earliest = bound;
        }
    }
    if (!earliest) return std::nullopt;
    // `$t <= D` still passes at D itself: the entry lives through that second.
    return Clock::time_point(std::chrono::seconds(*earliest)) + std::chrono::seconds(1);
}

void VerifiedTokenCache::use_root(const biscuit::PublicKey& root) {
    if (root_ && *root_ == root) return;
    order_.clear();
    index_.clear();
    root_ = root;
}

std::optional<biscuit::Biscuit> VerifiedTokenCache::find(std::string_view text,
                                                         const biscuit::PublicKey& root,
                                                         Clock::time_point now) {
    if (max_entries_ == 0) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    const Digest digest = digest_of(text);
    std::lock_guard lock(mutex_);
    use_root(root);
    auto it = index_.find(digest);
    if (it == index_.end()) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    if (it->second->expires && *it->second->expires <= now) {
        order_.erase(it->second);
        index_.erase(it);
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    order_.splice(order_.begin(), order_, it->second);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second->token;
}

void VerifiedTokenCache::insert(std::string_view text, const biscuit::PublicKey& root,
                                biscuit::Biscuit verified, Clock::time_point now) {
    if (max_entries_ == 0) return;
    const auto expires = lifetime_end(verified);
    if (expires && *expires <= now) return;
    const Digest digest = digest_of(text);
    std::lock_guard lock(mutex_);
    use_root(root);
    if (index_.contains(digest)) return;  // another thread verified it at the same time
    while (order_.size() >= max_entries_) {
        index_.erase(order_.back().digest);
        order_.pop_back();
    }
    order_.push_front(Entry{digest, std::move(verified), expires});
    index_.emplace(digest, order_.begin());
}

VerifiedTokenCache::Counts VerifiedTokenCache::counts() const {
    Counts counts;
    counts.hits = hits_.load(std::memory_order_relaxed);
    counts.misses = misses_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    counts.entries = order_.size();
    return counts;
}

}  // namespace ecf::auth
