// The public API a C++ user works with: root keys chosen by id, the authorizer builder, typed
// queries, and concurrent queries of one outcome.
#include <gtest/gtest.h>

#include <algorithm>
#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/root_key_provider.hpp>
#include <chrono>
#include <functional>
#include <thread>

namespace {

using biscuit::Biscuit;
using biscuit::BlockBuilder;
using biscuit::KeyPair;
using biscuit::datalog::Term;

biscuit::FormatError format_error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const biscuit::Error& e) {
        if (e.format()) return *e.format();
    }
    ADD_FAILURE() << "no Format error";
    return biscuit::FormatError::Other;
}

TEST(RootKeySet, ChoosesTheKeyByTheTokensRootKeyId) {
    const auto old_root = KeyPair::generate();
    const auto new_root = KeyPair::generate(biscuit::Algorithm::Secp256r1);
    biscuit::RootKeySet roots;
    roots.add(1, old_root.public_key()).add(2, new_root.public_key());
    const auto a = Biscuit::mint(old_root, BlockBuilder("a(1);"), 1).to_base64();
    const auto b = Biscuit::mint(new_root, BlockBuilder("b(1);"), 2).to_base64();
    EXPECT_TRUE(Biscuit::from_base64(a, roots).verified());
    EXPECT_EQ(Biscuit::from_base64(b, roots).root_key_id(), 2u);
    // A token naming an id the set does not hold, or none: UnknownPublicKey.
    const auto c = Biscuit::mint(new_root, BlockBuilder("c(1);"), 3).to_base64();
    EXPECT_EQ(format_error_of([&] { Biscuit::from_base64(c, roots); }),
              biscuit::FormatError::UnknownPublicKey);
    const auto d = Biscuit::mint(new_root, BlockBuilder("d(1);")).to_base64();
    EXPECT_EQ(format_error_of([&] { Biscuit::from_base64(d, roots); }),
              biscuit::FormatError::UnknownPublicKey);
    // The right id with the wrong key: a signature error.
    biscuit::RootKeySet swapped;
    swapped.add(1, new_root.public_key());
    EXPECT_EQ(format_error_of([&] { Biscuit::from_base64(a, swapped); }),
              biscuit::FormatError::InvalidSignature);
    // A default serves tokens naming no id (and unknown ids when asked to).
    roots.set_default(new_root.public_key());
    EXPECT_TRUE(Biscuit::from_base64(d, roots).verified());
    EXPECT_THROW(Biscuit::from_base64(c, roots), biscuit::Error);
    roots.set_default(new_root.public_key(), true);
    EXPECT_TRUE(Biscuit::from_base64(c, roots).verified());
}

TEST(AuthorizerBuilder, ItemsWithParametersAndTime) {
    const auto root = KeyPair::generate();
    const auto token = Biscuit::mint(
        root, BlockBuilder(R"(user("alice"); check if time($t), $t < 2100-01-01T00:00:00Z;)"));
    biscuit::Authorizer authorizer;
    authorizer.add_token(token)
        .set_time(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)))
        .add_fact("operation({op})", {.terms = {{"op", Term::string("read")}}})
        .add_rule("can($u, $op) <- user($u), operation($op)")
        .add_check(R"(check if can("alice", "read"))")
        .add_policy("deny if operation(\"delete\")")
        .add_policy("allow if can($u, $op)");
    EXPECT_EQ(authorizer.authorize(), 1u);
    const auto now =
        authorizer.query_as<std::chrono::system_clock::time_point>("t($t) <- time($t)");
    ASSERT_EQ(now.size(), 1u);
    EXPECT_EQ(std::get<0>(now[0]).time_since_epoch(), std::chrono::seconds(1700000000));
}

TEST(AuthorizerBuilder, TypedQueries) {
    biscuit::Authorizer authorizer;
    authorizer.add_code(R"(p("a", 1, true); p("b", 2, false); allow if true;)");
    authorizer.authorize();
    auto rows =
        authorizer.query_as<std::string, std::int64_t, bool>("q($s, $i, $b) <- p($s, $i, $b)");
    ASSERT_EQ(rows.size(), 2u);
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows[0], std::make_tuple(std::string("a"), std::int64_t{1}, true));
    EXPECT_EQ(rows[1], std::make_tuple(std::string("b"), std::int64_t{2}, false));
    try {
        authorizer.query_as<std::int64_t, std::int64_t, bool>("q($s, $i, $b) <- p($s, $i, $b)");
        FAIL() << "a string converted to an integer";
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::ConversionError);
    }
    EXPECT_THROW(authorizer.query_as<std::string>("q($s, $i) <- p($s, $i, $b)"), biscuit::Error);
}

TEST(AuthorizationOutcome, QueriesFromSeveralThreadsTakeTurns) {
    biscuit::Authorizer authorizer;
    std::string code;
    for (int i = 0; i < 50; ++i) code += "n(" + std::to_string(i) + ");";
    authorizer.add_code(code + "allow if true;");
    authorizer.set_limits({.max_time = std::chrono::seconds(5)});
    const biscuit::datalog::AuthorizationOutcome outcome = authorizer.run();
    ASSERT_TRUE(outcome.ok());
    const auto rule = biscuit::datalog::parse_rule("m($x) <- n($x), $x + 1 > 0");
    std::vector<std::size_t> counts(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < counts.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 25; ++round) counts[t] += outcome.query(rule).size();
        });
    }
    for (auto& thread : threads) thread.join();
    for (std::size_t c : counts) EXPECT_EQ(c, 25u * 50u);
}

}  // namespace
