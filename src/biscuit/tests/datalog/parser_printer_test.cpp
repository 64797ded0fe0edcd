#include <gtest/gtest.h>

#include <biscuit/datalog/parser.hpp>
#include <biscuit/datalog/printer.hpp>
#include <biscuit/error.hpp>

#include "sample_cases.hpp"

namespace bd = biscuit::datalog;

namespace {

// The statements of a program, one per `;`-terminated line, without blank lines.
std::vector<std::string> statements(const std::string& program) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < program.size()) {
        std::size_t end = program.find(";\n", start);
        if (end == std::string::npos) end = program.size();
        std::string s = program.substr(start, end - start);
        s.erase(0, s.find_first_not_of(" \n"));
        if (!s.empty()) out.push_back(s);
        start = end + 2;
    }
    return out;
}

}  // namespace

TEST(DatalogPrinter, SampleProgramsPrintAsTheReferenceDoes) {
    for (const auto& c : biscuit_test::load_samples()) {
        SCOPED_TRACE(c.filename);
        bd::Parameters lenient;
        lenient.allow_unsafe_rules = true;  // test018 holds an unsafe rule on purpose
        for (const auto& b : c.blocks) {
            const bd::BlockCode block = bd::parse_block(b.code, lenient);
            EXPECT_EQ(statements(bd::to_string(block)), statements(b.code));
            // Printing is a fixpoint of parsing.
            EXPECT_EQ(bd::to_string(bd::parse_block(bd::to_string(block), lenient)),
                      bd::to_string(block));
        }
        for (const auto& v : c.validations) {
            const bd::AuthorizerCode code = bd::parse_authorizer(v.authorizer_code);
            EXPECT_EQ(statements(bd::to_string(code)), statements(v.authorizer_code));
            for (const auto& r : v.world_rules)
                EXPECT_EQ(bd::to_string(bd::parse_rule(r, lenient)), r);
            for (const auto& k : v.world_checks) EXPECT_EQ(bd::to_string(bd::parse_check(k)), k);
            for (const auto& p : v.world_policies) EXPECT_EQ(bd::to_string(bd::parse_policy(p)), p);
        }
    }
}

TEST(DatalogParser, UnsafeRulesAreRejectedByDefault) {
    try {
        bd::parse_rule("a($x) <- b($y)");
        FAIL() << "accepted";
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.sub_kind(), "UnsafeRule");
    }
}

TEST(DatalogParser, TermsOfEveryType) {
    EXPECT_EQ(bd::parse_term("-9223372036854775808"),
              bd::Term::integer(std::numeric_limits<std::int64_t>::min()));
    EXPECT_EQ(bd::parse_term("9223372036854775807"),
              bd::Term::integer(std::numeric_limits<std::int64_t>::max()));
    EXPECT_THROW(bd::parse_term("9223372036854775808"), biscuit::Error);
    EXPECT_EQ(bd::parse_term("\"a\\\"b\\\\c\""), bd::Term::string("a\"b\\c"));
    EXPECT_EQ(bd::parse_term("1970-01-01T00:00:00Z"), bd::Term::date(0));
    EXPECT_EQ(bd::parse_term("2030-01-01T00:00:00Z"), bd::Term::date(1893456000));
    EXPECT_EQ(bd::parse_term("2030-01-01T01:00:00+01:00"), bd::Term::date(1893456000));
    EXPECT_EQ(bd::parse_term("2030-01-01T00:00:00.123Z"), bd::Term::date(1893456000));
    EXPECT_EQ(bd::parse_term("hex:00ff"), bd::Term::bytes({0x00, 0xff}));
    EXPECT_EQ(bd::parse_term("true"), bd::Term::boolean(true));
    EXPECT_EQ(bd::parse_term("null"), bd::Term::null());
    EXPECT_EQ(bd::parse_term("{2, 1, 2}"),
              bd::Term::set({bd::Term::integer(1), bd::Term::integer(2)}));
    EXPECT_EQ(bd::parse_term("[2, 1, 2]"),
              bd::Term::array({bd::Term::integer(2), bd::Term::integer(1), bd::Term::integer(2)}));
    EXPECT_EQ(bd::parse_term("{,}"), bd::Term::set({}));
    EXPECT_EQ(bd::parse_term("{}"), bd::Term::map({}));
    EXPECT_EQ(bd::parse_term("{\"b\": 1, 2: [null]}"),
              bd::Term::map({{std::string("b"), bd::Term::integer(1)},
                             {std::int64_t{2}, bd::Term::array({bd::Term::null()})}}));
    EXPECT_EQ(bd::parse_term("$var_1"), bd::Term::variable("var_1"));
    EXPECT_EQ(bd::to_string(bd::parse_term("2030-01-01T00:00:00Z")), "2030-01-01T00:00:00Z");
    EXPECT_EQ(bd::to_string(bd::Term::string("a\"b")), "\"a\\\"b\"");
}

TEST(DatalogParser, ParametersAreSubstituted) {
    bd::Parameters params;
    params.terms["now"] = bd::Term::date(1893456000);
    params.terms["user"] = bd::Term::string("alice");
    params.public_keys.insert_or_assign(
        "key", bd::parse_public_key(
                   "ed25519/acdd6d5b53bfee478bf689f8e012fe7988bf755e3d7c5152947abc149bc20189"));
    const auto code = bd::parse_authorizer(
        "time({now}); user({user});\ncheck if group(\"admin\") trusting {key};\nallow if true;",
        params);
    EXPECT_EQ(bd::to_string(code),
              "time(2030-01-01T00:00:00Z);\nuser(\"alice\");\ncheck if group(\"admin\") trusting "
              "ed25519/acdd6d5b53bfee478bf689f8e012fe7988bf755e3d7c5152947abc149bc20189;\nallow if "
              "true;\n");
    try {
        bd::parse_block("user({nobody});", params);
        FAIL() << "unknown parameter accepted";
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::Language);
    }
    bd::Parameters extra;
    extra.terms["unused"] = bd::Term::integer(1);
    EXPECT_THROW(bd::parse_block("a(1);", extra), biscuit::Error);
}

TEST(DatalogParser, RejectsMalformedInput) {
    for (const char* bad : {"a(",
                            "a()",
                            "a(1)",
                            "a($x);",
                            "a($x) <- b($y);",
                            "check if;",
                            "check if a(1) or;",
                            "a(\"unterminated);",
                            "a(hex:0);",
                            "a(2020-13-01T00:00:00Z);",
                            "allow if true;",
                            "a(1) <- b(1), 1 +;",
                            "a({{1}});",
                            "a({1, \"a\"});",
                            "a({true: 1});",
                            "a({[1]: 1});",
                            "a({1: $x});",
                            "a([$x]);",
                            "a({1: 2, 3});",
                            "a({1, 2: 3});",
                            "a({,1});",
                            "check if [1].any($x -> $x) && ;",
                            "trusting bogus;",
                            "a(1) <- b(1) trusting ed25519/00;"}) {
        SCOPED_TRACE(bad);
        try {
            bd::parse_block(bad);
            FAIL() << "accepted";
        } catch (const biscuit::Error& e) {
            EXPECT_EQ(e.kind(), biscuit::ErrorKind::Language);
        }
    }
}

TEST(DatalogParser, DeepNestingIsAnErrorNotACrash) {
    std::string deep =
        "check if " + std::string(10000, '(') + "true" + std::string(10000, ')') + ";";
    EXPECT_THROW(bd::parse_block(deep), biscuit::Error);
    std::string bangs = "check if " + std::string(10000, '!') + "true;";
    EXPECT_THROW(bd::parse_block(bangs), biscuit::Error);
}

TEST(DatalogPrinter, ScopesChecksAndPolicies) {
    const char* src =
        "trusting previous;\n"
        "right($0) <- resource($0) trusting authority, previous;\n"
        "check all operation($op), allowed($a), $a.contains($op);\n"
        "reject if deny(true);\n"
        "check if a(1) or b(2);\n";
    EXPECT_EQ(bd::to_string(bd::parse_block(src)), src);
    EXPECT_EQ(bd::to_string(bd::parse_policy("deny if   a( 1 ) ,b(\"x\")")),
              "deny if a(1), b(\"x\")");
}

TEST(DatalogPrinter, ExpressionsKeepTheirParentheses) {
    for (const char* e : {"1 + 2 * 3 - 4 / 2 == 5",
                          "(true || false) && true",
                          "!false && true",
                          "!(1 < 2)",
                          "1 | 2 ^ 3 == 0",
                          "1 & 3 != 2",
                          "\"a\".length() == 1",
                          "{1, 2}.intersection({2}).contains(2)",
                          "$x.matches(\"a.*\")",
                          "$a === \"x\"",
                          "$a !== 1",
                          "[1, 2].any($x -> $x > 1)",
                          "$s.all($x -> $x.starts_with(\"a\"))",
                          "1.type() == \"integer\"",

                          "{,}.length() === 0",
                          "{} != null",
                          "{4: {\"b\": null}, \"a\": [1, {2, 3}]}.get(\"a\").get(1).contains(2)",
                          "[1, 2].starts_with([1])",
                          "{1: 2}.any($kv -> $kv.get(1) == 2)",
                          "$x.get(\"k\").try_or(0) > 1",
                          "(1 / 0).try_or(2).type() == \"integer\"",
                          "$a && ($b || $c)"}) {
        EXPECT_EQ(bd::to_string(bd::parse_expression(e)), e);
    }
}
