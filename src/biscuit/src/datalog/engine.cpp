#include <algorithm>
#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/printer.hpp>
#include <set>
#include <string>

#include "world.hpp"

namespace biscuit::datalog {

class World : public internal::World {
  public:
    using internal::World::World;
    internal::Origins authorizer_trusted = 0;
    std::vector<std::pair<PublicKey, internal::Origins>> key_blocks;
};

namespace {

using internal::kAuthorizerBit;
using internal::Origins;

constexpr std::size_t kMaxBodyPredicates = 128;

Origins block_bit(std::size_t i) {
    return Origins{1} << i;
}

// The reference's TrustedOrigins::from_scopes: a rule always trusts its own block and the
// authorizer; without scopes it trusts its block's (or authorizer's) default.
Origins trusted_origins(const std::vector<Scope>& scopes, Origins default_origins, Origins current,
                        std::size_t current_index, bool is_authorizer,
                        const std::vector<std::pair<PublicKey, Origins>>& key_blocks) {
    if (scopes.empty()) return default_origins | current | kAuthorizerBit;
    Origins out = current | kAuthorizerBit;
    for (const Scope& s : scopes) {
        switch (s.kind) {
            case Scope::Kind::Authority:
                out |= block_bit(0);
                break;
            case Scope::Kind::Previous:
                if (!is_authorizer) out |= (block_bit(current_index) << 1) - 1;
                break;
            case Scope::Kind::PublicKey:
                for (const auto& [key, blocks] : key_blocks)
                    if (key == s.public_key) out |= blocks;
                break;
        }
    }
    return out;
}

// Spec: a rule is safe when every head variable appears in a body predicate.
bool head_is_bound(const Rule& rule) {
    std::set<std::string_view> bound;
    for (const auto& p : rule.body)
        for (const auto& t : p.terms)
            if (const auto* v = std::get_if<Variable>(&t.value)) bound.insert(v->name);
    for (const auto& t : rule.head.terms)
        if (const auto* v = std::get_if<Variable>(&t.value))
            if (!bound.count(v->name)) return false;
    return true;
}

internal::CompiledRule compile(const Rule& rule, World& world, Origins trusted, Origins block) {
    if (rule.body.size() > kMaxBodyPredicates)
        throw Error(ErrorKind::RunLimit, "TooManyPredicates");
    internal::CompiledRule c = internal::compile_rule(rule, world.store());
    c.trusted = trusted;
    c.block = block;
    return c;
}

// Evaluates one check: its queries are alternatives; the check passes when one succeeds.
bool check_passes(const Check& check, World& world, Origins default_origins, Origins current,
                  std::size_t current_index, bool is_authorizer) {
    for (const Query& q : check.queries) {
        Origins trusted = trusted_origins(q.scopes, default_origins, current, current_index,
                                          is_authorizer, world.key_blocks);
        internal::CompiledRule c = compile(q, world, trusted, current);
        switch (check.kind) {
            case Check::Kind::One:
                if (world.query_matches(c)) return true;
                break;
            case Check::Kind::All:
                if (world.query_matches_all(c)) return true;
                break;
            case Check::Kind::Reject:
                // As the reference: each query is an alternative that succeeds when it does not
                // match, so `reject if a or b` fails only when both match.
                if (!world.query_matches(c)) return true;
                break;
        }
    }
    return false;
}

}  // namespace

AuthorizationOutcome::AuthorizationOutcome(std::shared_ptr<World> world, std::size_t policy_index,
                                           std::optional<Error> error)
    : world_(std::move(world)), policy_index_(policy_index), error_(std::move(error)) {}

std::vector<Fact> AuthorizationOutcome::query(const Rule& rule) const {
    World& world = *world_;
    const std::lock_guard lock(world.query_mutex);
    world.restart_clock();
    const Origins trusted = trusted_origins(rule.scopes, world.authorizer_trusted, kAuthorizerBit,
                                            0, true, world.key_blocks);
    return world.query_facts(compile(rule, world, trusted, kAuthorizerBit));
}

WorldView AuthorizationOutcome::world() const {
    const std::lock_guard lock(world_->query_mutex);
    WorldView view = world_->code_view;
    view.facts = world_->facts();
    std::sort(view.facts.begin(), view.facts.end(), [](const auto& a, const auto& b) {
        if (a.origin != b.origin) return a.origin < b.origin;
        return to_string(a.fact) < to_string(b.fact);
    });
    return view;
}

AuthorizationOutcome authorize(const std::vector<TokenBlock>& blocks, const AuthorizerCode& code,
                               const RunLimits& limits) {
    if (blocks.size() > internal::kMaxBlocks)
        throw Error(ErrorKind::Format, "TooManyBlocks",
                    "at most " + std::to_string(internal::kMaxBlocks) + " blocks");
    auto world = std::make_shared<World>(limits);
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const auto& key = blocks[i].external_key;
        if (!key) continue;
        auto it = std::find_if(world->key_blocks.begin(), world->key_blocks.end(),
                               [&](const auto& kb) { return kb.first == *key; });
        if (it == world->key_blocks.end()) {
            world->key_blocks.emplace_back(*key, block_bit(i));
        } else {
            it->second |= block_bit(i);
        }
    }
    const Origins base_default = block_bit(0) | kAuthorizerBit;
    world->authorizer_trusted =
        trusted_origins(code.scopes, base_default, kAuthorizerBit, 0, true, world->key_blocks);
    std::vector<Origins> block_default(blocks.size());
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        block_default[i] = trusted_origins(blocks[i].code.scopes, base_default, block_bit(i), i,
                                           false, world->key_blocks);
    }

    WorldView& view = world->code_view;
    auto fail = [&](Error e) { return AuthorizationOutcome(std::move(world), 0, std::move(e)); };
    try {
        for (const Fact& f : code.facts) world->add_fact(f, kAuthorizerBit);
        for (std::size_t i = 0; i < code.rules.size(); ++i) {
            const Rule& r = code.rules[i];
            if (!head_is_bound(r))
                return fail(Error::invalid_block_rule(static_cast<std::uint32_t>(i), to_string(r)));
            world->add_rule(compile(r, *world,
                                    trusted_origins(r.scopes, world->authorizer_trusted,
                                                    kAuthorizerBit, 0, true, world->key_blocks),
                                    kAuthorizerBit));
            view.rules.push_back({kAuthorizerOrigin, r});
        }
        for (std::size_t b = 0; b < blocks.size(); ++b) {
            const BlockCode& block = blocks[b].code;
            for (const Fact& f : block.facts) world->add_fact(f, block_bit(b));
            for (std::size_t i = 0; i < block.rules.size(); ++i) {
                const Rule& r = block.rules[i];
                // The reference reports the rule's index within its block.
                if (!head_is_bound(r))
                    return fail(
                        Error::invalid_block_rule(static_cast<std::uint32_t>(i), to_string(r)));
                world->add_rule(compile(r, *world,
                                        trusted_origins(r.scopes, block_default[b], block_bit(b), b,
                                                        false, world->key_blocks),
                                        block_bit(b)));
                view.rules.push_back({b, r});
            }
            for (const Check& c : block.checks) view.checks.push_back({b, c});
        }
        for (const Check& c : code.checks) view.checks.push_back({kAuthorizerOrigin, c});
        view.policies = code.policies;

        world->run();

        std::vector<FailedCheck> failed;
        for (std::size_t i = 0; i < code.checks.size(); ++i) {
            if (!check_passes(code.checks[i], *world, world->authorizer_trusted, kAuthorizerBit, 0,
                              true)) {
                failed.push_back(FailedCheck{FailedCheck::Origin::Authorizer, 0,
                                             static_cast<std::uint32_t>(i),
                                             to_string(code.checks[i]), code.checks[i]});
            }
        }
        auto block_checks = [&](std::size_t b) {
            const auto& checks = blocks[b].code.checks;
            for (std::size_t i = 0; i < checks.size(); ++i) {
                if (!check_passes(checks[i], *world, block_default[b], block_bit(b), b, false)) {
                    failed.push_back(FailedCheck{
                        FailedCheck::Origin::Block, static_cast<std::uint32_t>(b),
                        static_cast<std::uint32_t>(i), to_string(checks[i]), checks[i]});
                }
            }
        };
        if (!blocks.empty()) block_checks(0);

        std::optional<MatchedPolicy> matched;
        for (std::size_t i = 0; i < code.policies.size() && !matched; ++i) {
            const Policy& p = code.policies[i];
            for (const Query& q : p.queries) {
                const Origins trusted = trusted_origins(q.scopes, world->authorizer_trusted,
                                                        kAuthorizerBit, 0, true, world->key_blocks);
                if (world->query_matches(compile(q, *world, trusted, kAuthorizerBit))) {
                    matched =
                        MatchedPolicy{p.kind == Policy::Kind::Allow ? MatchedPolicy::Kind::Allow
                                                                    : MatchedPolicy::Kind::Deny,
                                      i};
                    break;
                }
            }
        }

        for (std::size_t b = 1; b < blocks.size(); ++b) block_checks(b);

        if (matched && matched->kind == MatchedPolicy::Kind::Allow && failed.empty()) {
            return AuthorizationOutcome(std::move(world), matched->index, std::nullopt);
        }
        return fail(Error::unauthorized(matched, std::move(failed)));
    } catch (const Error& e) {
        return fail(e);
    }
}

}  // namespace biscuit::datalog
