#pragma once

// Evaluation of a token's blocks together with an authorizer (spec "Verifier"/"Scopes").

#include <biscuit/datalog/ast.hpp>
#include <biscuit/error.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace biscuit::datalog {

// The reference's defaults, and two bounds of our own on what expressions may build (the
// reference has none: `+` over strings can otherwise build gigabytes within one check).
struct RunLimits {
    std::size_t max_facts = 1000;
    std::size_t max_iterations = 100;
    // Wall-clock budget of one authorization, checked where the work happens: between join rows
    // and inside expressions (per operation, and per byte copied, searched or matched).
    std::chrono::microseconds max_time{1000};
    // Largest string, byte array or collection one expression operation may build, in bytes
    // (a set or array item counts 16); beyond it Error{Execution, "ValueTooLarge"}.
    std::size_t max_value_bytes = 64 * 1024;
    // Bytes of distinct values held by one authorization (the token's own and those expressions
    // build, with their index); beyond it Error{RunLimit, "TooMuchMemory"}.
    std::size_t max_interned_bytes = 8 * 1024 * 1024;
};

struct TokenBlock {
    BlockCode code;
    std::optional<PublicKey> external_key;  // set for third-party blocks
};

// Origin id of everything the authorizer contributes (the reference's usize::MAX).
inline constexpr std::uint64_t kAuthorizerOrigin = std::numeric_limits<std::uint64_t>::max();

// The evaluated world, listed with origins (block ids, kAuthorizerOrigin last), sorted for output.
struct WorldView {
    struct OriginFact {
        std::vector<std::uint64_t> origin;
        Fact fact;
    };
    struct OriginRule {
        std::uint64_t origin;
        Rule rule;
    };
    struct OriginCheck {
        std::uint64_t origin;
        Check check;
    };
    std::vector<OriginFact> facts;
    std::vector<OriginRule> rules;
    std::vector<OriginCheck> checks;
    std::vector<Policy> policies;
};

class World;

// The result of one authorization, and the world it produced for later queries. Copies share
// the world. Thread-safety: every member may be called from several threads at once on one
// outcome or its copies; query() and world() take turns on the world's mutex (a query interns
// values and restarts the run-limit clock), so concurrent queries are safe but not parallel.
// Separate authorize() calls are independent and run in parallel on any threads.
class AuthorizationOutcome {
  public:
    bool ok() const { return !error_.has_value(); }
    // Index of the allow policy that matched; only meaningful when ok().
    std::size_t policy_index() const { return policy_index_; }
    // The reason authorization failed: FailedLogic (Unauthorized lists every failed check),
    // Execution, RunLimit.
    const std::optional<Error>& error() const { return error_; }

    // The facts `rule` produces (its head instantiated) over what its scopes trust; without
    // scopes it trusts the authority block and the authorizer, as the reference does. Runs under
    // the same run limits; throws biscuit::Error (Execution, RunLimit).
    std::vector<Fact> query(const Rule& rule) const;

    WorldView world() const;

    AuthorizationOutcome(std::shared_ptr<World> world, std::size_t policy_index,
                         std::optional<Error> error);

  private:
    std::shared_ptr<World> world_;
    std::size_t policy_index_ = 0;
    std::optional<Error> error_;
};

// Loads the blocks (block 0 = authority) and the authorizer's code, runs rules to a fixpoint,
// then evaluates authorizer checks, authority checks, policies and the other blocks' checks in the
// reference's order. Never throws for an authorization failure: see AuthorizationOutcome::error.
// Throws biscuit::Error only for input it cannot represent (e.g. more than 63 blocks).
AuthorizationOutcome authorize(const std::vector<TokenBlock>& blocks, const AuthorizerCode& code,
                               const RunLimits& limits = {});

}  // namespace biscuit::datalog
