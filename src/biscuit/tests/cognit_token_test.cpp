// The ECF's hot path (contract §2): parse + verify + authorize + query one COGNIT token, many
// times over the same objects, so that state kept between rounds would show. Its speed is a
// benchmark figure (bench/biscuit/token_bench.cpp, BM_TokenCognitParseVerifyAuthorize), never an
// assertion here: a sanitizer build on a shared machine is ten times slower and still correct.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>

namespace {

TEST(CognitToken, ParseVerifyAuthorizeQueryRepeatedly) {
    auto root = biscuit::KeyPair::generate();
    const std::string token =
        biscuit::Biscuit::mint(root, biscuit::BlockBuilder(R"(user("alice"); password("s3cret");
            check if time($time), $time < 2099-01-01T00:00:00Z;)"))
            .to_base64();
    biscuit::datalog::Parameters params;
    params.terms.emplace("now", biscuit::datalog::Term::date(1764000000));
    const auto code =
        biscuit::datalog::parse_authorizer("time({now}); allow if user($u), password($p);", params);
    const auto rule =
        biscuit::datalog::parse_rule("data($u, $p) <- user($u), password($p) trusting authority");

    constexpr int kRounds = 200;
    for (int i = 0; i < kRounds; ++i) {
        biscuit::Authorizer authorizer;
        authorizer.add_token(biscuit::Biscuit::from_base64(token, root.public_key()));
        authorizer.add_code(code);
        ASSERT_EQ(authorizer.authorize(), 0u);
        ASSERT_EQ(authorizer.query(rule).size(), 1u);
    }
}

}  // namespace
