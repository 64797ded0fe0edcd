#include "http/validation_error.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ecf::http {
namespace {

namespace json = boost::json;

TEST(ValidationProblems, ListsAtMostAFew) {
    ValidationProblems problems;
    for (int i = 0; i < 1000; ++i) {
        problems.add_body("string_type", "Input should be a valid string",
                          {static_cast<std::int64_t>(i)}, i);
    }
    EXPECT_EQ(problems.count(), 1000u);
    try {
        problems.throw_if_any();
        FAIL() << "no throw";
    } catch (const ValidationError& error) {
        EXPECT_EQ(error.problems().size(), ValidationProblems::kMaxProblems);
        EXPECT_EQ(error.problems()[0].at("loc"), json::parse(R"(["body",0])"));
    }
}

TEST(ValidationProblems, SmallInputsAreEchoedAsTheyAre) {
    EXPECT_EQ(ValidationProblems::bounded_echo(json::parse(R"({"a":[1,2]})")),
              json::parse(R"({"a":[1,2]})"));
    EXPECT_EQ(ValidationProblems::bounded_echo("short"), json::value("short"));
    EXPECT_EQ(ValidationProblems::bounded_echo(3.5), json::value(3.5));
}

TEST(ValidationProblems, LongInputsAreCut) {
    const auto text = ValidationProblems::bounded_echo(json::string(std::string(10'000, 'a')));
    EXPECT_EQ(text.as_string().size(), ValidationProblems::kMaxInputBytes);
    json::array big;
    for (int i = 0; i < 100'000; ++i) big.push_back(i);
    const auto cut = ValidationProblems::bounded_echo(big);
    ASSERT_TRUE(cut.is_string());
    EXPECT_EQ(cut.as_string().size(), ValidationProblems::kMaxInputBytes);
    EXPECT_EQ(cut.as_string().subview(0, 6), "[0,1,2");
}

TEST(ValidationProblems, ACutNeverSplitsAUtf8Character) {
    // 63 ASCII bytes then a 2-byte character: the cut drops the whole character.
    const std::string text = std::string(63, 'a') + "\xc3\xa9" + "zzz";
    const auto cut = ValidationProblems::bounded_echo(json::string(text));
    EXPECT_EQ(cut.as_string(), std::string(63, 'a'));
}

}  // namespace
}  // namespace ecf::http
