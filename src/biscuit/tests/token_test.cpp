// Minting, attenuating, sealing, parsing and authorizing tokens through the public facade.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <chrono>

namespace {

using biscuit::Biscuit;
using biscuit::BlockBuilder;
using biscuit::KeyPair;

// The COGNIT frontend's token: credentials plus an expiry one day ahead (contract §2).
Biscuit cognit_token(const KeyPair& root, std::int64_t expiry_offset_seconds = 86400) {
    auto now = std::chrono::system_clock::now();
    auto expiry = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() +
                  expiry_offset_seconds;
    biscuit::datalog::Parameters params;
    params.terms.emplace("expiry",
                         biscuit::datalog::Term::date(static_cast<std::uint64_t>(expiry)));
    return Biscuit::mint(root, BlockBuilder(R"(user("alice"); password("s3cret");
        check if time($time), $time < {expiry};)",
                                            params));
}

biscuit::Authorizer cognit_authorizer(const Biscuit& token) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    biscuit::datalog::Parameters params;
    params.terms.emplace("now", biscuit::datalog::Term::date(static_cast<std::uint64_t>(now)));
    biscuit::Authorizer authorizer;
    authorizer.add_token(token);
    authorizer.add_code("time({now}); allow if user($u), password($p);", params);
    return authorizer;
}

std::string string_of(const biscuit::datalog::Term& t) {
    return std::get<std::string>(t.value);
}

TEST(Token, CognitTokenRoundTripsAndAuthorizes) {
    auto root = KeyPair::generate();
    auto text = cognit_token(root).to_base64();
    auto token = Biscuit::from_base64(text, root.public_key());
    EXPECT_TRUE(token.verified());
    EXPECT_EQ(token.block_count(), 1u);
    auto authorizer = cognit_authorizer(token);
    EXPECT_EQ(authorizer.authorize(), 0u);
    auto facts = authorizer.query("data($u, $p) <- user($u), password($p) trusting authority");
    ASSERT_EQ(facts.size(), 1u);
    EXPECT_EQ(string_of(facts[0].terms.at(0)), "alice");
    EXPECT_EQ(string_of(facts[0].terms.at(1)), "s3cret");
}

TEST(Token, TextMayCarryTheBiscuitPrefix) {
    auto root = KeyPair::generate();
    auto token =
        Biscuit::from_base64("biscuit:" + cognit_token(root).to_base64(), root.public_key());
    EXPECT_EQ(token.block_count(), 1u);
}

TEST(Token, ExpiredCognitTokenIsRefusedWithTheFailedCheck) {
    auto root = KeyPair::generate();
    auto token = Biscuit::from_base64(cognit_token(root, -60).to_base64(), root.public_key());
    auto authorizer = cognit_authorizer(token);
    try {
        authorizer.authorize();
        FAIL() << "an expired token was authorized";
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::FailedLogic);
        EXPECT_EQ(e.sub_kind(), "Unauthorized");
        ASSERT_EQ(e.failed_checks().size(), 1u);
        EXPECT_EQ(e.failed_checks()[0].block_id, 0u);
    }
}

TEST(Token, AnotherRootKeyIsRefused) {
    auto root = KeyPair::generate();
    auto other = KeyPair::generate();
    try {
        Biscuit::from_base64(cognit_token(root).to_base64(), other.public_key());
        FAIL();
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::Format);
        EXPECT_EQ(e.sub_kind(), "Signature/InvalidSignature");
    }
}

TEST(Token, AttenuationAddsABlockWhoseChecksApply) {
    auto root = KeyPair::generate();
    auto token = cognit_token(root).attenuate(BlockBuilder(R"(check if operation("read");)"));
    auto parsed = Biscuit::from_bytes(token.to_bytes(), root.public_key());
    EXPECT_EQ(parsed.block_count(), 2u);
    EXPECT_EQ(parsed.revocation_ids().size(), 2u);
    EXPECT_EQ(parsed.revocation_ids(), token.revocation_ids());

    auto refused = cognit_authorizer(parsed);
    EXPECT_THROW(refused.authorize(), biscuit::Error);

    auto allowed = cognit_authorizer(parsed);
    allowed.add_code(R"(operation("read");)");
    EXPECT_EQ(allowed.authorize(), 0u);
}

TEST(Token, SealedTokenVerifiesAndCannotBeAttenuated) {
    auto root = KeyPair::generate();
    auto sealed = cognit_token(root).seal();
    auto parsed = Biscuit::from_base64(sealed.to_base64(), root.public_key());
    EXPECT_TRUE(parsed.sealed());
    EXPECT_EQ(cognit_authorizer(parsed).authorize(), 0u);
    try {
        parsed.attenuate(BlockBuilder("check if true;"));
        FAIL();
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::AppendOnSealed);
    }
    EXPECT_THROW(parsed.seal(), biscuit::Error);
}

TEST(Token, UnverifiedTokenCanBeAttenuatedButNotAuthorized) {
    auto root = KeyPair::generate();
    auto unverified = Biscuit::unverified_from_base64(cognit_token(root).to_base64());
    EXPECT_FALSE(unverified.verified());
    auto attenuated = unverified.attenuate(BlockBuilder("check if true;"));
    auto verified = Biscuit::from_base64(attenuated.to_base64(), root.public_key());
    EXPECT_EQ(cognit_authorizer(verified).authorize(), 0u);

    biscuit::Authorizer authorizer;
    authorizer.add_token(unverified);
    authorizer.add_code("allow if true;");
    try {
        authorizer.authorize();
        FAIL();
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.sub_kind(), "UnverifiedToken");
    }
}

TEST(Token, PrintsBlocksAsDatalog) {
    auto root = KeyPair::generate();
    auto token = Biscuit::mint(
        root, BlockBuilder(R"(user("alice"); check if time($t), $t < 2030-01-01T00:00:00Z;)"));
    auto text = token.print_block(0);
    EXPECT_NE(text.find(R"(user("alice");)"), std::string::npos) << text;
    EXPECT_NE(text.find("check if time($t), $t < 2030-01-01T00:00:00Z;"), std::string::npos)
        << text;
}

TEST(Token, ManyBlocksAndSymbolsSurviveTheWire) {
    auto root = KeyPair::generate();
    auto token =
        Biscuit::mint(root, BlockBuilder(R"(right("file1", "read"); right("file2", "write");)"));
    for (int i = 0; i < 5; ++i)
        token = token.attenuate(BlockBuilder(
            "check if right(\"file1\", \"read\"), time($t), $t > 200" + std::to_string(i) +
            "-01-01T00:00:00Z, \"s" + std::to_string(i) + "\".length() == 2;"));
    auto parsed = Biscuit::from_bytes(token.to_bytes(), root.public_key());
    ASSERT_EQ(parsed.block_count(), 6u);
    for (std::size_t i = 0; i < parsed.block_count(); ++i)
        EXPECT_EQ(parsed.print_block(i), token.print_block(i));
    biscuit::Authorizer authorizer;
    authorizer.add_token(parsed);
    authorizer.add_code("time(2020-01-01T00:00:00Z); allow if true;");
    EXPECT_EQ(authorizer.authorize(), 0u);
}

TEST(Token, ThirdPartyBlockIsTrustedThroughItsKey) {
    auto root = KeyPair::generate();
    auto third_party = KeyPair::generate();
    auto token = cognit_token(root);
    auto request = token.third_party_request();
    auto contents = Biscuit::create_third_party_block(
        request, third_party, BlockBuilder(R"(group("admins"); check if user("alice");)"));
    auto extended = token.append_third_party(third_party.public_key(), contents);
    auto parsed = Biscuit::from_base64(extended.to_base64(), root.public_key());
    ASSERT_EQ(parsed.block_count(), 2u);
    EXPECT_EQ(parsed.blocks()[1].external_key, third_party.public_key());

    biscuit::datalog::Parameters params;
    params.public_keys.emplace("idp", third_party.public_key());
    auto trusting = cognit_authorizer(parsed);
    trusting.add_code(R"(check if group("admins") trusting {idp};)", params);
    EXPECT_EQ(trusting.authorize(), 0u);
    auto not_trusting = cognit_authorizer(parsed);
    not_trusting.add_code(R"(check if group("admins");)");
    EXPECT_THROW(not_trusting.authorize(), biscuit::Error);

    // The contents are bound to this token and this third party.
    EXPECT_THROW(token.append_third_party(KeyPair::generate().public_key(), contents),
                 biscuit::Error);
    auto other = cognit_token(root);
    EXPECT_THROW(other.append_third_party(third_party.public_key(), contents), biscuit::Error);
}

TEST(Token, Secp256r1RootKeyWorksToo) {
    auto root = KeyPair::generate(biscuit::Algorithm::Secp256r1);
    auto token = cognit_token(root).attenuate(BlockBuilder("check if true;"));
    auto parsed = Biscuit::from_base64(token.to_base64(), root.public_key());
    EXPECT_EQ(cognit_authorizer(parsed).authorize(), 0u);
    EXPECT_THROW(Biscuit::from_base64(token.to_base64(), KeyPair::generate().public_key()),
                 biscuit::Error);
}

}  // namespace
