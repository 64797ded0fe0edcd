#include "observability/log_text.hpp"

#include <gtest/gtest.h>

namespace ecf::observability {
namespace {

TEST(LogText, PrintableUtf8StaysAsItIs) {
    EXPECT_EQ(printable_utf8("/v1/functions/1/execute"), "/v1/functions/1/execute");
    EXPECT_EQ(printable_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(LogText, ControlsAndInvalidBytesAreEscaped) {
    EXPECT_EQ(printable_utf8("a\r\nb"), "a\\x0d\\x0ab");
    EXPECT_EQ(printable_utf8("\x7f"), "\\x7f");
    EXPECT_EQ(printable_utf8("/\xff\xfe"), "/\\xff\\xfe");
    EXPECT_EQ(printable_utf8("\xc3"), "\\xc3");                    // truncated sequence
    EXPECT_EQ(printable_utf8("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
    EXPECT_EQ(printable_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
    EXPECT_EQ(printable_utf8("\xc2\x85"), "\\xc2\\x85");           // C1 NEL
    EXPECT_EQ(printable_utf8("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");  // U+2028
    EXPECT_EQ(printable_utf8("a\"b\\c"), "a\\x22b\\x5cc");
}

TEST(LogText, QueryValuesAreNotKept) {
    EXPECT_EQ(loggable_target("/v1/functions/1/execute?app_req_id=2&mode=sync"),
              "/v1/functions/1/execute?app_req_id&mode");
    EXPECT_EQ(loggable_target("/x?secret"), "/x?secret");
    EXPECT_EQ(loggable_target("/x?"), "/x?");
    EXPECT_EQ(loggable_target("/x?a=1&&b=\xff"), "/x?a&&b");
    EXPECT_EQ(loggable_target("/\xff?k\n=v"), "/\\xff?k\\x0a");
}

}  // namespace
}  // namespace ecf::observability
