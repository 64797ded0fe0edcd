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
    // `||` is lazy (Datalog 3.3); the eager one of earlier versions is tested on the wire.
    EXPECT_EQ(evaluate("true || 9223372036854775807 + 1 != 0"), "ok");
    // `||!` is `|| !`, as the reference reads it.
    EXPECT_EQ(evaluate("false ||! false"), "ok");
}

TEST(DatalogExpressions, TypeErrors) {
    EXPECT_EQ(evaluate("1 === \"a\""), "InvalidType");
    EXPECT_EQ(evaluate("1 < \"a\""), "InvalidType");
    EXPECT_EQ(evaluate("!1"), "InvalidType");
    EXPECT_EQ(evaluate("1 + true"), "InvalidType");
    EXPECT_EQ(evaluate("1"), "InvalidType");
    EXPECT_EQ(evaluate("\"a\".starts_with(1)"), "InvalidType");
    EXPECT_EQ(evaluate("true &&! 1"), "InvalidType");  // `!1`
    EXPECT_EQ(evaluate("true && 1"), "InvalidType");   // the result is not a boolean
    EXPECT_EQ(evaluate("1 !== \"a\""), "InvalidType");
    EXPECT_EQ(evaluate("1 == \"a\""), "false");
    EXPECT_EQ(evaluate("1 != \"a\""), "ok");
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
    EXPECT_EQ(evaluate("{1, 2}.contains(2)"), "ok");
    EXPECT_EQ(evaluate("{1, 2}.contains({2})"), "ok");
    EXPECT_EQ(evaluate("{1, 2}.contains(3)"), "false");
    EXPECT_EQ(evaluate("{1, 2} == {2, 1}"), "ok");
    EXPECT_EQ(evaluate("{1, 4} != {1, 2}"), "ok");
    EXPECT_EQ(evaluate("{1, 2}.intersection({2, 3}) == {2}"), "ok");
    EXPECT_EQ(evaluate("{1, 2}.union({2, 3}) == {1, 2, 3}"), "ok");
    EXPECT_EQ(evaluate("{1, 2, 3}.intersection({1, 2}).length() == 2"), "ok");
    EXPECT_EQ(evaluate("{\"abc\", \"def\"}.contains(\"abc\")"), "ok");
    EXPECT_EQ(evaluate("{1, 2}.any($x -> $x > 1)"), "ok");
    EXPECT_EQ(evaluate("{1, 2}.all($x -> $x > 1)"), "false");
    EXPECT_EQ(evaluate("{,}.length() == 0"), "ok");
    EXPECT_EQ(evaluate("{,}.all($x -> false)"), "ok");
    // Membership of a null, an array or a map in a set is a type error, as the reference has it.
    EXPECT_EQ(evaluate("{1}.contains(null)"), "InvalidType");
    EXPECT_EQ(evaluate("{1}.contains([1])"), "InvalidType");
}

namespace {

// Evaluates a hand-built postfix program (for v3.3 operators the text syntax here does not have).
std::string evaluate_ops(std::vector<bd::Op> ops) {
    bd::Check check;
    bd::Query q;
    q.head.name = "query";
    q.expressions.push_back(bd::Expression{std::move(ops)});
    check.queries.push_back(std::move(q));
    bd::AuthorizerCode code = bd::parse_authorizer("allow if true;");
    code.checks.push_back(std::move(check));
    bd::RunLimits limits;
    limits.max_time = std::chrono::seconds(5);
    const auto outcome = bd::authorize({}, code, limits);
    if (outcome.ok()) return "ok";
    const auto& e = *outcome.error();
    return e.sub_kind() == "Unauthorized" ? "false" : e.sub_kind();
}

bd::Op value(bd::Term t) {
    return bd::Op{std::move(t)};
}
bd::Op op(bd::BinaryOp b) {
    return bd::Op{b};
}
bd::Op closure(std::vector<std::string> params, std::vector<bd::Op> ops) {
    return bd::Op{bd::Closure{std::move(params), std::move(ops)}};
}

}  // namespace

TEST(DatalogExpressions, LazyOperatorsShortCircuit) {
    const std::vector<bd::Op> overflow{value(bd::Term::integer(INT64_MAX)),
                                       value(bd::Term::integer(1)), op(bd::BinaryOp::Add),
                                       value(bd::Term::integer(0)), op(bd::BinaryOp::NotEqual)};
    EXPECT_EQ(evaluate_ops({value(bd::Term::boolean(true)), closure({}, overflow),
                            op(bd::BinaryOp::LazyOr)}),
              "ok");
    EXPECT_EQ(evaluate_ops({value(bd::Term::boolean(false)), closure({}, overflow),
                            op(bd::BinaryOp::LazyOr)}),
              "Overflow");
    EXPECT_EQ(evaluate_ops({value(bd::Term::boolean(false)), closure({}, overflow),
                            op(bd::BinaryOp::LazyAnd), bd::Op{bd::UnaryOp::Negate}}),
              "ok");
    // A closure anywhere else is a type error, not a crash.
    EXPECT_EQ(
        evaluate_ops({closure({}, overflow), value(bd::Term::boolean(true)), op(bd::BinaryOp::Or)}),
        "InvalidType");
    EXPECT_EQ(evaluate_ops({closure({}, overflow)}), "InvalidType");
}

TEST(DatalogExpressions, ArraysAndMaps) {
    const auto array = bd::Term::array({bd::Term::integer(3), bd::Term::string("x")});
    EXPECT_EQ(evaluate_ops({value(array), value(bd::Term::integer(1)), op(bd::BinaryOp::Get),
                            value(bd::Term::string("x")), op(bd::BinaryOp::Equal)}),
              "ok");
    EXPECT_EQ(evaluate_ops({value(array), value(bd::Term::integer(7)), op(bd::BinaryOp::Get),
                            value(bd::Term::null()), op(bd::BinaryOp::Equal)}),
              "ok");
    EXPECT_EQ(
        evaluate_ops({value(array), value(bd::Term::string("x")), op(bd::BinaryOp::Contains)}),
        "ok");
    const auto map = bd::Term::map({{bd::MapKey(std::string("k")), bd::Term::integer(1)},
                                    {bd::MapKey(std::int64_t{2}), bd::Term::boolean(true)}});
    EXPECT_EQ(evaluate_ops({value(map), value(bd::Term::integer(2)), op(bd::BinaryOp::Get)}), "ok");
    EXPECT_EQ(evaluate_ops({value(map), value(bd::Term::string("k")), op(bd::BinaryOp::Contains)}),
              "ok");
    EXPECT_EQ(evaluate_ops({value(map), bd::Op{bd::UnaryOp::Length}, value(bd::Term::integer(2)),
                            op(bd::BinaryOp::Equal)}),
              "ok");
    EXPECT_EQ(evaluate_ops({value(array),
                            closure({"v"}, {value(bd::Term::variable("v")), value(bd::Term::null()),
                                            op(bd::BinaryOp::HeterogeneousNotEqual)}),
                            op(bd::BinaryOp::All)}),
              "ok");
}

TEST(DatalogExpressions, MalformedProgramsAreErrors) {
    EXPECT_EQ(evaluate_ops({}), "InvalidStack");
    EXPECT_EQ(evaluate_ops({op(bd::BinaryOp::Add)}), "InvalidStack");
    EXPECT_EQ(evaluate_ops({value(bd::Term::boolean(true)), value(bd::Term::boolean(true))}),
              "InvalidStack");
    EXPECT_EQ(evaluate_ops({value(bd::Term::variable("unbound"))}), "UnknownVariable");
    EXPECT_EQ(evaluate_ops({value(bd::Term::boolean(true)), bd::Op{static_cast<bd::UnaryOp>(99)}}),
              "InvalidType");
    EXPECT_EQ(evaluate_ops({value(bd::Term::integer(1)), value(bd::Term::integer(1)),
                            op(static_cast<bd::BinaryOp>(99))}),
              "InvalidType");
}
