#include <gtest/gtest.h>

#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>
#include <biscuit/datalog/printer.hpp>

namespace bd = biscuit::datalog;

namespace {

std::vector<bd::TokenBlock> token(std::initializer_list<const char*> sources) {
    std::vector<bd::TokenBlock> out;
    for (const char* s : sources) out.push_back({bd::parse_block(s), std::nullopt});
    return out;
}

// Generous time: a loaded test machine must not turn into a Timeout.
bd::RunLimits relaxed() {
    bd::RunLimits limits;
    limits.max_time = std::chrono::seconds(5);
    return limits;
}

bd::AuthorizationOutcome run(const std::vector<bd::TokenBlock>& blocks,
                             const bd::AuthorizerCode& code,
                             const bd::RunLimits& limits = relaxed()) {
    return bd::authorize(blocks, code, limits);
}

const char* kKeyA = "ed25519/acdd6d5b53bfee478bf689f8e012fe7988bf755e3d7c5152947abc149bc20189";

}  // namespace

TEST(DatalogEngine, CognitTokenAuthorizesAndAnswersQueries) {
    auto blocks =
        token({"user(\"alice\");\npassword(\"secret\");\n"
               "check if time($time), $time < 2030-01-01T00:00:00Z;"});
    bd::Parameters params;
    params.terms["now"] = bd::Term::date(1767225600);  // 2026-01-01
    const auto code =
        bd::parse_authorizer("time({now});\nallow if user($u), password($p);", params);
    const auto outcome = run(blocks, code);
    ASSERT_TRUE(outcome.ok()) << outcome.error()->what();
    EXPECT_EQ(outcome.policy_index(), 0u);
    const auto users = outcome.query(bd::parse_rule("u($u) <- user($u)"));
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(bd::to_string(users[0]), "u(\"alice\")");

    params.terms["now"] = bd::Term::date(1893456000);  // 2030-01-01: expired
    const auto late =
        run(blocks, bd::parse_authorizer("time({now});\nallow if user($u), password($p);", params));
    ASSERT_FALSE(late.ok());
    ASSERT_EQ(late.error()->failed_checks().size(), 1u);
    EXPECT_EQ(late.error()->failed_checks()[0].rule,
              "check if time($time), $time < 2030-01-01T00:00:00Z");
}

TEST(DatalogEngine, NoPolicyIsNoMatchingPolicy) {
    const auto outcome = run(token({"a(1);"}), bd::parse_authorizer("check if a(1);"));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->sub_kind(), "NoMatchingPolicy");
}

TEST(DatalogEngine, DenyPolicyWins) {
    const auto outcome =
        run(token({"a(1);"}), bd::parse_authorizer("deny if a(1);\nallow if true;"));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->sub_kind(), "Unauthorized");
    EXPECT_EQ(outcome.error()->policy()->kind, biscuit::MatchedPolicy::Kind::Deny);
}

TEST(DatalogEngine, LaterBlocksCannotAddRightsToEarlierScopes) {
    // Block 1 fact is invisible to the authority block and the authorizer by default.
    auto blocks = token({"check if extra(1);", "extra(1);"});
    auto outcome = run(blocks, bd::parse_authorizer("allow if extra(1);"));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->sub_kind(), "NoMatchingPolicy");
    ASSERT_EQ(outcome.error()->failed_checks().size(), 1u);
    EXPECT_EQ(outcome.error()->failed_checks()[0].block_id, 0u);
}

TEST(DatalogEngine, PreviousScopeSeesEarlierBlocks) {
    auto blocks = token({"a(0);", "b(1);", "check if a(0), b(1) trusting previous;"});
    EXPECT_TRUE(run(blocks, bd::parse_authorizer("allow if true;")).ok());
    auto plain = token({"a(0);", "b(1);", "check if a(0), b(1);"});
    EXPECT_FALSE(run(plain, bd::parse_authorizer("allow if true;")).ok());
}

TEST(DatalogEngine, PublicKeyScopeSeesThirdPartyBlocks) {
    std::vector<bd::TokenBlock> blocks;
    blocks.push_back(
        {bd::parse_block(std::string("check if group(\"admin\") trusting ") + kKeyA + ";"),
         std::nullopt});
    blocks.push_back({bd::parse_block("group(\"admin\");"), bd::parse_public_key(kKeyA)});
    EXPECT_TRUE(run(blocks, bd::parse_authorizer("allow if true;")).ok());
    // The authorizer does not trust the third-party block unless asked to.
    EXPECT_FALSE(run(blocks, bd::parse_authorizer("allow if group(\"admin\");")).ok());
    EXPECT_TRUE(run(blocks, bd::parse_authorizer(std::string("allow if group(\"admin\") "
                                                             "trusting ") +
                                                 kKeyA + ";"))
                    .ok());
}

TEST(DatalogEngine, RulesDeriveFactsWithUnionOrigins) {
    auto blocks =
        token({"parent(\"a\", \"b\");\nparent(\"b\", \"c\");\nparent(\"c\", \"d\");\n"
               "ancestor($x, $y) <- parent($x, $y);\n"
               "ancestor($x, $z) <- parent($x, $y), ancestor($y, $z);"});
    const auto outcome = run(blocks, bd::parse_authorizer("allow if ancestor(\"a\", \"d\");"));
    ASSERT_TRUE(outcome.ok()) << outcome.error()->what();
    EXPECT_EQ(outcome.query(bd::parse_rule("x($a, $b) <- ancestor($a, $b)")).size(), 6u);
    const auto view = outcome.world();
    EXPECT_EQ(view.facts.size(), 9u);
    EXPECT_EQ(view.rules.size(), 2u);
}

TEST(DatalogEngine, CheckAllAndRejectIf) {
    auto blocks =
        token({"allowed([\"A\", \"B\"]);\n"
               "check all operation($op), allowed($a), $a.contains($op);\n"
               "reject if operation(\"C\");"});
    EXPECT_TRUE(run(blocks, bd::parse_authorizer("operation(\"A\");\nallow if true;")).ok());
    const auto bad =
        run(blocks, bd::parse_authorizer("operation(\"A\");\noperation(\"X\");\nallow if true;"));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error()->failed_checks().size(), 1u);
    const auto rejected = run(blocks, bd::parse_authorizer("operation(\"A\");\noperation(\"C\");\n"
                                                           "allowed([\"C\"]) <- operation($x);\n"
                                                           "allow if true;"));
    ASSERT_FALSE(rejected.ok());
    ASSERT_EQ(rejected.error()->failed_checks().size(), 2u);
    EXPECT_EQ(rejected.error()->failed_checks()[1].rule, "reject if operation(\"C\")");
}

TEST(DatalogEngine, CheckAllNeedsAtLeastOneMatch) {
    const auto blocks = token({"check all operation($op), $op.starts_with(\"r\");"});
    EXPECT_TRUE(run(blocks, bd::parse_authorizer("operation(\"read\");\nallow if true;")).ok());
    EXPECT_FALSE(run(blocks, bd::parse_authorizer("allow if true;")).ok());
}

TEST(DatalogEngine, RejectIfAlternativesFollowTheReference) {
    const auto code = bd::parse_authorizer("a(1);\nallow if true;");
    EXPECT_TRUE(run(token({"reject if a(2);"}), code).ok());
    EXPECT_FALSE(run(token({"reject if a(1);"}), code).ok());
    // Each query is an alternative: the check passes when any of them does not match.
    EXPECT_TRUE(run(token({"reject if a(1) or a(2);"}), code).ok());
    EXPECT_FALSE(run(token({"reject if a(1) or a($x);"}), code).ok());
}

TEST(DatalogEngine, RunLimitsStopRunawayPrograms) {
    // Counting up without bound: each iteration derives one new fact.
    // An unsafe rule ($y only in an expression) is refused by the engine.
    bd::Parameters lenient;
    lenient.allow_unsafe_rules = true;
    std::vector<bd::TokenBlock> blocks{
        {bd::parse_block("n(0);\nn($y) <- n($x), $y == $x + 1;", lenient), std::nullopt}};
    EXPECT_EQ(run(blocks, bd::parse_authorizer("allow if true;")).error()->sub_kind(),
              "InvalidBlockRule");

    auto pairs =
        token({"n(0);\nn(1);\nn(2);\nn(3);\nn(4);\nn(5);\nn(6);\nn(7);\nn(8);\nn(9);\n"
               "p($a, $b, $c, $d) <- n($a), n($b), n($c), n($d);"});
    auto many = run(pairs, bd::parse_authorizer("allow if true;"));
    ASSERT_FALSE(many.ok());
    EXPECT_EQ(many.error()->kind(), biscuit::ErrorKind::RunLimit);

    bd::RunLimits limits = relaxed();
    limits.max_iterations = 3;
    auto chain =
        token({"e(1, 2);\ne(2, 3);\ne(3, 4);\ne(4, 5);\ne(5, 6);\n"
               "r($x, $y) <- e($x, $y);\nr($x, $z) <- r($x, $y), e($y, $z);"});
    auto it = run(chain, bd::parse_authorizer("allow if true;"), limits);
    ASSERT_FALSE(it.ok());
    EXPECT_EQ(it.error()->sub_kind(), "TooManyIterations");

    limits = {};
    limits.max_time = std::chrono::microseconds(0);
    auto slow = run(pairs, bd::parse_authorizer("allow if true;"), limits);
    ASSERT_FALSE(slow.ok());
    EXPECT_EQ(slow.error()->kind(), biscuit::ErrorKind::RunLimit);
}

TEST(DatalogEngine, ExpressionErrorsAbortAuthorization) {
    auto outcome = run(token({"check if 1 / 0 == 0;"}), bd::parse_authorizer("allow if true;"));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->kind(), biscuit::ErrorKind::Execution);
}

TEST(DatalogEngine, FixpointReachesEveryDerivableFact) {
    // A 5-cycle plus a tail: the closure relates every cycle node to every node it reaches.
    auto blocks =
        token({"e(0, 1);\ne(1, 2);\ne(2, 3);\ne(3, 4);\ne(4, 0);\ne(4, 5);\n"
               "r($x, $y) <- e($x, $y);\nr($x, $z) <- r($x, $y), r($y, $z);"});
    const auto outcome = run(blocks, bd::parse_authorizer("allow if r(5, 5) or true;"));
    ASSERT_TRUE(outcome.ok()) << outcome.error()->what();
    // Each of the 5 cycle nodes reaches 6 nodes; node 5 reaches none.
    EXPECT_EQ(outcome.query(bd::parse_rule("x($a, $b) <- r($a, $b) trusting authority")).size(),
              30u);
    // Same facts with another origin are kept apart: block 1 re-derives from its own edge.
    auto two = token({"e(0, 1);\nr($x, $y) <- e($x, $y);", "e(1, 2);\nr($x, $y) <- e($x, $y);"});
    const auto view = run(two, bd::parse_authorizer("allow if true;")).world();
    std::size_t r_facts = 0;
    for (const auto& f : view.facts) r_facts += f.fact.name == "r";
    // r(0,1) from block 0's rule; block 1's rule sees e(0,1) (authority) and e(1,2): r(0,1) with
    // origin {0,1} and r(1,2) with origin {1}.
    EXPECT_EQ(r_facts, 3u);
}

TEST(DatalogEngine, IndexedJoinsOnLargerRelations) {
    // 40 edges: relations above the indexing threshold, joined on bound and unbound columns.
    std::string src;
    for (int i = 0; i < 40; ++i)
        src += "e(" + std::to_string(i) + ", " + std::to_string(i + 1) + ");\n";
    src += "r($x, $y) <- e($x, $y);\nr($x, $z) <- e($x, $y), r($y, $z);\n";
    src += "back($y, $x) <- r($x, $y), r($y, 40);\n";
    const std::vector<bd::TokenBlock> blocks{{bd::parse_block(src), std::nullopt}};
    bd::RunLimits limits = relaxed();
    limits.max_facts = 5000;  // 40 + 820 + 780 facts
    const auto outcome =
        run(blocks, bd::parse_authorizer("allow if r(0, 40), back(39, 0);"), limits);
    ASSERT_TRUE(outcome.ok()) << outcome.error()->what();
    EXPECT_EQ(outcome.query(bd::parse_rule("x($a, $b) <- r($a, $b) trusting authority")).size(),
              820u);
    EXPECT_EQ(outcome.query(bd::parse_rule("x($a) <- r(3, $a) trusting authority")).size(), 37u);
    EXPECT_EQ(outcome.query(bd::parse_rule("x($a) <- back(39, $a) trusting authority")).size(),
              39u);
}

TEST(DatalogEngine, DuplicateDerivationsDoNotCountAsFacts) {
    // 100 x 100 combinations all derive the same fact: one fact, well within the limits.
    std::string src;
    for (int i = 0; i < 100; ++i) src += "n(" + std::to_string(i) + ");\n";
    src += "some(1) <- n($x), n($y);\n";
    const std::vector<bd::TokenBlock> blocks{{bd::parse_block(src), std::nullopt}};
    const auto outcome = run(blocks, bd::parse_authorizer("allow if some(1);"));
    ASSERT_TRUE(outcome.ok()) << outcome.error()->what();
}

// ---- Work inside expressions is bounded ----

namespace {

// `"<chunk>" + "<chunk>" + ...` (`count` terms) compared with "": each `+` builds a longer
// string, so the total built grows with the square of `count`.
std::string concatenation(std::size_t chunk, std::size_t count) {
    const std::string literal = "\"" + std::string(chunk, 'x') + "\"";
    std::string expression = literal;
    for (std::size_t i = 1; i < count; ++i) expression += " + " + literal;
    return expression + " != \"\"";
}

}  // namespace

TEST(DatalogEngine, ExpressionMayNotBuildAValueLargerThanTheLimit) {
    bd::RunLimits limits = relaxed();
    limits.max_value_bytes = 4096;
    const auto code = bd::parse_authorizer("allow if true;");
    EXPECT_TRUE(
        run(token({("check if " + concatenation(1000, 4) + ";").c_str()}), code, limits).ok());
    const auto outcome =
        run(token({("check if " + concatenation(1000, 200) + ";").c_str()}), code, limits);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->kind(), biscuit::ErrorKind::Execution);
    EXPECT_EQ(outcome.error()->sub_kind(), "ValueTooLarge");

    // Sets too: a union larger than the limit (16 bytes an item).
    std::string left = "{", right = "{";
    for (int i = 0; i < 200; ++i) {
        left += (i ? ", " : "") + std::to_string(i);
        right += (i ? ", " : "") + std::to_string(1000 + i);
    }
    const auto sets =
        run(token({("check if " + left + "}.union(" + right + "}).length() > 0;").c_str()}), code,
            limits);
    ASSERT_FALSE(sets.ok());
    EXPECT_EQ(sets.error()->sub_kind(), "ValueTooLarge");
}

TEST(DatalogEngine, BytesHeldByOneAuthorizationAreBounded) {
    bd::RunLimits limits = relaxed();
    limits.max_interned_bytes = 256 * 1024;
    // Each string stays below the value limit; together they pass the memory limit.
    const auto outcome = run(token({("check if " + concatenation(100, 400) + ";").c_str()}),
                             bd::parse_authorizer("allow if true;"), limits);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->kind(), biscuit::ErrorKind::RunLimit);
    EXPECT_EQ(outcome.error()->sub_kind(), "TooMuchMemory");
}

TEST(DatalogEngine, TimeLimitIsCheckedInsideOneExpression) {
    // One check without predicates (no join rows) whose expression runs 400 x 400 closures.
    std::string array = "[";
    for (int i = 0; i < 400; ++i) array += (i ? ", " : "") + std::to_string(i);
    array += "]";
    const std::string check =
        "check if " + array + ".all($x -> " + array + ".all($y -> $x + $y >= 0));";
    bd::RunLimits limits = relaxed();
    limits.max_time = std::chrono::microseconds(0);
    const auto outcome =
        run(token({check.c_str()}), bd::parse_authorizer("allow if true;"), limits);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error()->kind(), biscuit::ErrorKind::RunLimit);
    EXPECT_EQ(outcome.error()->sub_kind(), "Timeout");
}
