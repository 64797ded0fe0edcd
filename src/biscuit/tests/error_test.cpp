// The typed error model: every failure is a family and a variant a caller can switch on, with the
// variant's data (failed checks as checks, version range, sizes, parse position); the names are
// the reference's, for people and for comparing with its samples.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/error.hpp>
#include <functional>

namespace {

using biscuit::Error;
using biscuit::ErrorKind;

Error error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no biscuit::Error was thrown";
    return Error(biscuit::LogicError::Other, "nothing thrown");
}

TEST(Error, VariantsAreTypedAndNamedAsTheReference) {
    const Error e(biscuit::FormatError::InvalidSignature, "why");
    EXPECT_EQ(e.kind(), ErrorKind::Format);
    EXPECT_EQ(e.format(), biscuit::FormatError::InvalidSignature);
    EXPECT_FALSE(e.logic().has_value());
    EXPECT_TRUE(e.is_signature_error());
    EXPECT_EQ(e.sub_kind(), "Signature/InvalidSignature");
    EXPECT_STREQ(e.what(), "Format: Signature/InvalidSignature: why");
}

TEST(Error, ByNameConstructionMapsToTheTypedVariant) {
    EXPECT_EQ(Error(ErrorKind::RunLimit, "TooManyFacts").run_limit(),
              biscuit::RunLimitError::TooManyFacts);
    EXPECT_EQ(Error(ErrorKind::Execution, "DivideByZero").execution(),
              biscuit::ExecutionError::DivideByZero);
    EXPECT_EQ(Error(ErrorKind::Format, "Signature/InvalidFormat").format(),
              biscuit::FormatError::InvalidSignatureFormat);
    EXPECT_EQ(Error(ErrorKind::Base64, "InvalidPadding").base64(),
              biscuit::Base64Error::InvalidPadding);
    // A name this version does not know: the family's Other, the name kept for people.
    const Error unknown(ErrorKind::Execution, "SomethingNew");
    EXPECT_EQ(unknown.execution(), biscuit::ExecutionError::Other);
    EXPECT_EQ(unknown.sub_kind(), "SomethingNew");
    EXPECT_EQ(Error(ErrorKind::AppendOnSealed, "AppendOnSealed").kind(), ErrorKind::AppendOnSealed);
}

// Every name the library's by-name throw sites use (src/datalog, src/format) maps to a typed
// variant: a typo there would otherwise become `Other` silently.
TEST(Error, NamesUsedByThrowSitesAreKnown) {
    for (const char* name : {"InvalidType", "ShadowedVariable", "UnknownVariable", "DivideByZero",
                             "InvalidRegex", "InvalidStack", "Overflow", "ValueTooLarge"})
        EXPECT_NE(Error(ErrorKind::Execution, name).execution(), biscuit::ExecutionError::Other)
            << name;
    for (const char* name :
         {"Timeout", "TooManyFacts", "TooManyIterations", "TooManyPredicates", "TooMuchMemory"})
        EXPECT_NE(Error(ErrorKind::RunLimit, name).run_limit(), biscuit::RunLimitError::Other)
            << name;
    for (const char* name : {"DeserializationError", "TooManyBlocks", "UnknownSymbol",
                             "UnknownPublicKey", "SymbolTableOverlap"})
        EXPECT_NE(Error(ErrorKind::Format, name).format(), biscuit::FormatError::Other) << name;
    EXPECT_EQ(Error(ErrorKind::FailedLogic, "InvalidFact").logic(),
              biscuit::LogicError::InvalidFact);
    EXPECT_EQ(Error(ErrorKind::Language, "UnsafeRule").language(),
              biscuit::LanguageError::UnsafeRule);
}

TEST(Error, ExpiredTokenListsTheFailedCheckAsData) {
    auto root = biscuit::KeyPair::generate();
    auto token = biscuit::Biscuit::mint(
        root, biscuit::BlockBuilder(R"(user("a"); check if time($t), $t < 2020-01-01T00:00:00Z;)"));
    biscuit::Authorizer authorizer;
    authorizer.add_token(token).set_time().add_policy("allow if user($u)");
    const Error e = error_of([&] { authorizer.authorize(); });
    ASSERT_EQ(e.logic(), biscuit::LogicError::Unauthorized);
    ASSERT_TRUE(e.policy().has_value());
    EXPECT_EQ(e.policy()->kind, biscuit::MatchedPolicy::Kind::Allow);
    ASSERT_EQ(e.failed_checks().size(), 1u);
    const biscuit::FailedCheck& failed = e.failed_checks()[0];
    EXPECT_EQ(failed.origin, biscuit::FailedCheck::Origin::Block);
    EXPECT_EQ(failed.block_id, 0u);
    EXPECT_EQ(failed.check_id, 0u);
    ASSERT_EQ(failed.check.queries.size(), 1u);
    EXPECT_EQ(failed.check.queries[0].body.at(0).name, "time");
    const auto& ops = failed.check.queries[0].expressions.at(0).ops;
    ASSERT_EQ(ops.size(), 3u);
    EXPECT_EQ(std::get<biscuit::datalog::BinaryOp>(ops[2].value),
              biscuit::datalog::BinaryOp::LessThan);
    EXPECT_EQ(failed.rule, "check if time($t), $t < 2020-01-01T00:00:00Z");
}

TEST(Error, NoMatchingPolicyAndAuthorizerChecks) {
    biscuit::Authorizer authorizer;
    authorizer.add_check("check if operation(\"read\")").add_policy("allow if operation(\"x\")");
    const Error e = error_of([&] { authorizer.authorize(); });
    ASSERT_EQ(e.logic(), biscuit::LogicError::NoMatchingPolicy);
    EXPECT_FALSE(e.policy().has_value());
    ASSERT_EQ(e.failed_checks().size(), 1u);
    EXPECT_EQ(e.failed_checks()[0].origin, biscuit::FailedCheck::Origin::Authorizer);
}

TEST(Error, SecondTokenIsAuthorizerNotEmpty) {
    auto root = biscuit::KeyPair::generate();
    auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder("a(1);"));
    biscuit::Authorizer authorizer;
    authorizer.add_token(token);
    EXPECT_EQ(error_of([&] { authorizer.add_token(token); }).logic(),
              biscuit::LogicError::AuthorizerNotEmpty);
}

TEST(Error, KeyAndSignatureSizesAreData) {
    const std::vector<std::uint8_t> short_key(31, 1);
    const Error key = error_of([&] { biscuit::PublicKey(biscuit::Algorithm::Ed25519, short_key); });
    EXPECT_EQ(key.format(), biscuit::FormatError::InvalidKeySize);
    EXPECT_EQ(key.size(), 31u);
    auto pair = biscuit::KeyPair::generate();
    const std::vector<std::uint8_t> message{1, 2, 3}, signature(10, 0);
    const Error sig = error_of([&] { pair.public_key().verify(message, signature); });
    EXPECT_EQ(sig.format(), biscuit::FormatError::InvalidSignatureSize);
    EXPECT_EQ(sig.size(), 10u);
}

TEST(Error, ParseErrorsCarryTheirPositionAndParameterNames) {
    const Error parse = error_of([] { biscuit::datalog::parse_block("a(1) b(2);"); });
    EXPECT_EQ(parse.language(), biscuit::LanguageError::ParseError);
    ASSERT_TRUE(parse.parse_position().has_value());
    EXPECT_EQ(parse.parse_position()->offset, 5u);
    const Error unknown = error_of([] { biscuit::datalog::parse_block("a({x});"); });
    EXPECT_EQ(unknown.language(), biscuit::LanguageError::UnknownParameter);
    EXPECT_EQ(unknown.parameter(), "x");
    biscuit::datalog::Parameters extra;
    extra.terms.emplace("y", biscuit::datalog::Term::integer(1));
    const Error unused = error_of([&] { biscuit::datalog::parse_block("a(1);", extra); });
    EXPECT_EQ(unused.language(), biscuit::LanguageError::UnusedParameter);
    EXPECT_EQ(unused.parameter(), "y");
}

TEST(Error, RunLimitsAndExecutionErrorsAreTyped) {
    biscuit::Authorizer overflow;
    overflow.add_code("allow if 9223372036854775807 + 1 > 0;");
    EXPECT_EQ(error_of([&] { overflow.authorize(); }).execution(),
              biscuit::ExecutionError::Overflow);
    biscuit::Authorizer division;
    division.add_code("allow if 1 / 0 == 0;");
    EXPECT_EQ(error_of([&] { division.authorize(); }).execution(),
              biscuit::ExecutionError::DivideByZero);
    biscuit::Authorizer many;
    many.set_limits({.max_facts = 3});
    many.add_code("n(1); n(2); n(3); m($x) <- n($x); allow if true;");
    EXPECT_EQ(error_of([&] { many.authorize(); }).run_limit(),
              biscuit::RunLimitError::TooManyFacts);
}

TEST(Error, SealedAndBase64AreTheirOwnFamilies) {
    auto root = biscuit::KeyPair::generate();
    auto sealed = biscuit::Biscuit::mint(root, biscuit::BlockBuilder("a(1);")).seal();
    EXPECT_EQ(error_of([&] { sealed.seal(); }).kind(), ErrorKind::AlreadySealed);
    EXPECT_EQ(error_of([&] { sealed.attenuate(biscuit::BlockBuilder("b(1);")); }).kind(),
              ErrorKind::AppendOnSealed);
    EXPECT_EQ(error_of([&] { biscuit::Biscuit::from_base64("@@@@", root.public_key()); }).base64(),
              biscuit::Base64Error::InvalidCharacter);
}

TEST(Error, ForeignRootKeyIsASignatureError) {
    auto root = biscuit::KeyPair::generate();
    auto other = biscuit::KeyPair::generate();
    auto text = biscuit::Biscuit::mint(root, biscuit::BlockBuilder("a(1);")).to_base64();
    const Error e = error_of([&] { biscuit::Biscuit::from_base64(text, other.public_key()); });
    EXPECT_EQ(e.format(), biscuit::FormatError::InvalidSignature);
    EXPECT_TRUE(e.is_signature_error());
}

}  // namespace
