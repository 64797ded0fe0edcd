// Each operator of the expression machine, evaluated through a `check if` in an authorizer.
#include <gtest/gtest.h>

#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>

namespace bd = biscuit::datalog;

namespace {

// "ok", "false", or the error's sub-kind (e.g. "Overflow").
std::string evaluate(const std::string& expression) {
    const auto code = bd::parse_authorizer("check if " + expression + ";\nallow if true;");
    bd::RunLimits limits;
    limits.max_time = std::chrono::seconds(5);  // a loaded test machine is not a Timeout
    const auto outcome = bd::authorize({}, code, limits);
    if (outcome.ok()) return "ok";
    const auto& e = *outcome.error();
    if (e.sub_kind() == "Unauthorized") return "false";
    return e.sub_kind();
}

}  // namespace

TEST(DatalogExpressions, Integers) {
    EXPECT_EQ(evaluate("1 + 2 * 3 - 4 / 2 == 5"), "ok");
    EXPECT_EQ(evaluate("-3 / 2 == -1"), "ok");
    EXPECT_EQ(evaluate("1 < 2 && 2 > 1 && 1 <= 1 && 2 >= 2"), "ok");
    EXPECT_EQ(evaluate("1 != 3"), "ok");
    EXPECT_EQ(evaluate("1 | 2 ^ 3 == 0"), "ok");
    EXPECT_EQ(evaluate("(6 & 3) == 2"), "ok");
    EXPECT_EQ(evaluate("2 < 1"), "false");
}

TEST(DatalogExpressions, OverflowAndDivisionAreErrors) {
    EXPECT_EQ(evaluate("10000000000 * 10000000000 != 0"), "Overflow");
    EXPECT_EQ(evaluate("9223372036854775807 + 1 != 0"), "Overflow");
    EXPECT_EQ(evaluate("-9223372036854775808 - 1 != 0"), "Overflow");
    EXPECT_EQ(evaluate("-9223372036854775808 / -1 != 0"), "Overflow");
    EXPECT_EQ(evaluate("1 / 0 == 0"), "DivideByZero");
    // `||` of block versions up to 5 evaluates both sides (test027).
    EXPECT_EQ(evaluate("true || 9223372036854775807 + 1 != 0"), "Overflow");
}

TEST(DatalogExpressions, TypeErrors) {
    EXPECT_EQ(evaluate("1 == \"a\""), "InvalidType");
    EXPECT_EQ(evaluate("1 < \"a\""), "InvalidType");
    EXPECT_EQ(evaluate("!1"), "InvalidType");
    EXPECT_EQ(evaluate("1 + true"), "InvalidType");
    EXPECT_EQ(evaluate("1"), "InvalidType");
    EXPECT_EQ(evaluate("\"a\".starts_with(1)"), "InvalidType");
    EXPECT_EQ(evaluate("true && 1"), "InvalidType");
    EXPECT_EQ(evaluate("1 === \"a\""), "false");
    EXPECT_EQ(evaluate("1 !== \"a\""), "ok");
}

TEST(DatalogExpressions, Strings) {
    EXPECT_EQ(evaluate("\"hello world\".starts_with(\"hello\")"), "ok");
    EXPECT_EQ(evaluate("\"hello world\".ends_with(\"world\")"), "ok");
    EXPECT_EQ(evaluate("\"aaabde\".contains(\"abd\")"), "ok");
    EXPECT_EQ(evaluate("\"aaabde\" == \"aaa\" + \"b\" + \"de\""), "ok");
    EXPECT_EQ(evaluate("\"é\".length() == 2"), "ok");
    EXPECT_EQ(evaluate("\"aaabde\".matches(\"a*c?.e\")"), "ok");
    EXPECT_EQ(evaluate("\"file1\".matches(\"file[0-9]+.txt\")"), "false");
    EXPECT_EQ(evaluate("\"x\".matches(\"(\")"), "InvalidRegex");
    EXPECT_EQ(evaluate("\"abc\".type() == \"string\""), "ok");
}

TEST(DatalogExpressions, DatesBytesBooleans) {
    EXPECT_EQ(evaluate("2019-12-04T09:46:41Z < 2020-12-04T09:46:41Z"), "ok");
    EXPECT_EQ(evaluate("2022-12-04T09:46:41Z != 2020-12-04T09:46:41Z"), "ok");
    EXPECT_EQ(evaluate("hex:12ab == hex:12ab && hex:12abcd != hex:12ab"), "ok");
    EXPECT_EQ(evaluate("hex:12ab.length() == 2"), "ok");
    EXPECT_EQ(evaluate("!false && true == true"), "ok");
    EXPECT_EQ(evaluate("false || true"), "ok");
}

TEST(DatalogExpressions, Sets) {
    EXPECT_EQ(evaluate("[1, 2].contains(2)"), "ok");
    EXPECT_EQ(evaluate("[1, 2].contains([2])"), "ok");
    EXPECT_EQ(evaluate("[1, 2].contains(3)"), "false");
    EXPECT_EQ(evaluate("[1, 2] == [2, 1]"), "ok");
    EXPECT_EQ(evaluate("[1, 4] != [1, 2]"), "ok");
    EXPECT_EQ(evaluate("[1, 2].intersection([2, 3]) == [2]"), "ok");
    EXPECT_EQ(evaluate("[1, 2].union([2, 3]) == [1, 2, 3]"), "ok");
    EXPECT_EQ(evaluate("[1, 2, 3].intersection([1, 2]).length() == 2"), "ok");
    EXPECT_EQ(evaluate("[\"abc\", \"def\"].contains(\"abc\")"), "ok");
    EXPECT_EQ(evaluate("[1, 2].any($x -> $x > 1)"), "ok");
    EXPECT_EQ(evaluate("[1, 2].all($x -> $x > 1)"), "false");
}
