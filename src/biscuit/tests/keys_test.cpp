#include <gtest/gtest.h>

#include <biscuit/crypto.hpp>
#include <biscuit/error.hpp>

namespace {

using biscuit::Algorithm;

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

class Keys : public ::testing::TestWithParam<Algorithm> {};

TEST_P(Keys, SignAndVerify) {
    auto pair = biscuit::KeyPair::generate(GetParam());
    auto sig = pair.private_key().sign(bytes("hello"));
    EXPECT_NO_THROW(pair.public_key().verify(bytes("hello"), sig));
    EXPECT_THROW(pair.public_key().verify(bytes("hellO"), sig), biscuit::Error);
    auto other = biscuit::KeyPair::generate(GetParam());
    EXPECT_THROW(other.public_key().verify(bytes("hello"), sig), biscuit::Error);
}

TEST_P(Keys, HexRoundTrip) {
    auto pair = biscuit::KeyPair::generate(GetParam());
    auto pub = biscuit::PublicKey::from_hex(pair.public_key().to_string());
    EXPECT_EQ(pub, pair.public_key());
    biscuit::PrivateKey priv(GetParam(), biscuit::from_hex(pair.private_key().to_hex()));
    EXPECT_EQ(priv.public_key(), pair.public_key());
}

INSTANTIATE_TEST_SUITE_P(BothAlgorithms, Keys,
                         ::testing::Values(Algorithm::Ed25519, Algorithm::Secp256r1));

TEST(KeysEd25519, AcceptsBareHexAndPrefixedHex) {
    const std::string hex = "1055c750b1a1505937af1537c626ba3263995c33a64758aaafb1275b0312e284";
    EXPECT_EQ(biscuit::PublicKey::from_hex(hex), biscuit::PublicKey::from_hex("ed25519/" + hex));
    EXPECT_EQ(biscuit::PublicKey::from_hex(hex).to_hex(), hex);
    EXPECT_EQ(biscuit::PublicKey::from_hex(hex).to_string(), "ed25519/" + hex);
}

TEST(KeysEd25519, KnownPrivateKeyGivesKnownPublicKey) {
    // The conformance samples' root key pair.
    auto priv = biscuit::PrivateKey::from_hex(
        "99e87b0e9158531eeeb503ff15266e2b23c2a2507b138c9d1b1f2ab458df2d61");
    EXPECT_EQ(priv.public_key().to_hex(),
              "1055c750b1a1505937af1537c626ba3263995c33a64758aaafb1275b0312e284");
}

TEST(KeysEd25519, RefusesBadKeys) {
    for (const char* text :
         {"", "abc", "zz55c750b1a1505937af1537c626ba3263995c33a64758aaafb1275b0312e284", "1055c750",
          "ed25519/", "secp256r1/00"}) {
        try {
            biscuit::PublicKey::from_hex(text);
            ADD_FAILURE() << text;
        } catch (const biscuit::Error& e) {
            EXPECT_EQ(e.kind(), biscuit::ErrorKind::Format) << text;
        }
    }
}

TEST(KeysEd25519, RefusesWrongSignatureSize) {
    auto pair = biscuit::KeyPair::generate();
    try {
        pair.public_key().verify(bytes("x"), std::vector<std::uint8_t>(16));
        ADD_FAILURE();
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.sub_kind(), "InvalidSignatureSize");
        EXPECT_EQ(e.detail(), "16");
    }
}

}  // namespace
