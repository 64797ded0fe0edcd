#include <gtest/gtest.h>

#include <biscuit/base64.hpp>
#include <biscuit/error.hpp>

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

TEST(Base64, EncodesUrlSafeWithPadding) {
    EXPECT_EQ(biscuit::base64_encode(bytes("")), "");
    EXPECT_EQ(biscuit::base64_encode(bytes("f")), "Zg==");
    EXPECT_EQ(biscuit::base64_encode(bytes("fo")), "Zm8=");
    EXPECT_EQ(biscuit::base64_encode(bytes("foo")), "Zm9v");
    EXPECT_EQ(biscuit::base64_encode(std::vector<std::uint8_t>{0xfb, 0xff}), "-_8=");
}

TEST(Base64, DecodesBothAlphabetsWithOrWithoutPadding) {
    EXPECT_EQ(biscuit::base64_decode("-_8="), (std::vector<std::uint8_t>{0xfb, 0xff}));
    EXPECT_EQ(biscuit::base64_decode("-_8"), (std::vector<std::uint8_t>{0xfb, 0xff}));
    EXPECT_EQ(biscuit::base64_decode("+/8="), (std::vector<std::uint8_t>{0xfb, 0xff}));
    EXPECT_EQ(biscuit::base64_decode(" Zm9v\n"), bytes("foo"));
    EXPECT_EQ(biscuit::base64_decode("Zg"), bytes("f"));
}

TEST(Base64, RefusesGarbage) {
    for (const char* text : {"Z", "Zm9v!", "Zg=a", "Zh==", "Z===", "Zm9=v"}) {
        try {
            biscuit::base64_decode(text);
            ADD_FAILURE() << text;
        } catch (const biscuit::Error& e) {
            EXPECT_EQ(e.kind(), biscuit::ErrorKind::Base64) << text;
        }
    }
}

}  // namespace
