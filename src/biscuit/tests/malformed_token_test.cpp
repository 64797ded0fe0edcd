// Malformed, truncated, oversized, tampered and wrongly signed tokens are refused with a
// biscuit::Error of the right kind: never a crash, never an accept.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <random>

namespace {

using biscuit::Biscuit;
using biscuit::BlockBuilder;
using biscuit::KeyPair;

struct Fixture {
    KeyPair root = KeyPair::generate();
    std::vector<std::uint8_t> bytes =
        Biscuit::mint(root, BlockBuilder(R"(user("alice"); password("s3cret");)"))
            .attenuate(BlockBuilder(R"(check if time($t), $t < 2100-01-01T00:00:00Z;)"))
            .to_bytes();
};

biscuit::ErrorKind kind_of_refusal(const std::vector<std::uint8_t>& bytes,
                                   const biscuit::PublicKey& root) {
    try {
        auto token = Biscuit::from_bytes(bytes, root);
        biscuit::Authorizer authorizer;
        authorizer.add_token(token);
        authorizer.add_code("time(2024-01-01T00:00:00Z); allow if user($u);");
        authorizer.authorize();
    } catch (const biscuit::Error& e) {
        return e.kind();
    }
    ADD_FAILURE() << "accepted";
    return biscuit::ErrorKind::Format;
}

TEST(MalformedToken, TheIntactTokenIsAccepted) {
    Fixture f;
    auto token = Biscuit::from_bytes(f.bytes, f.root.public_key());
    biscuit::Authorizer authorizer;
    authorizer.add_token(token);
    authorizer.add_code("time(2024-01-01T00:00:00Z); allow if user($u);");
    EXPECT_EQ(authorizer.authorize(), 0u);
}

TEST(MalformedToken, EveryTruncationIsRefusedAsFormat) {
    Fixture f;
    for (std::size_t n = 0; n < f.bytes.size(); ++n) {
        std::vector<std::uint8_t> cut(f.bytes.begin(),
                                      f.bytes.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_EQ(kind_of_refusal(cut, f.root.public_key()), biscuit::ErrorKind::Format) << n;
    }
}

TEST(MalformedToken, EverySingleBitFlipIsRefused) {
    Fixture f;
    for (std::size_t i = 0; i < f.bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto flipped = f.bytes;
            flipped[i] ^= static_cast<std::uint8_t>(1u << bit);
            try {
                auto token = Biscuit::from_bytes(flipped, f.root.public_key());
                // The only unsigned parts are protobuf framing that decodes to the same token.
                EXPECT_EQ(token.to_bytes(), f.bytes) << "byte " << i << " bit " << bit;
            } catch (const biscuit::Error& e) {
                EXPECT_EQ(e.kind(), biscuit::ErrorKind::Format);
            }
        }
    }
}

TEST(MalformedToken, RandomGarbageIsRefused) {
    Fixture f;
    std::mt19937 rng(42);
    for (int i = 0; i < 500; ++i) {
        std::vector<std::uint8_t> junk(rng() % 400);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        EXPECT_EQ(kind_of_refusal(junk, f.root.public_key()), biscuit::ErrorKind::Format);
    }
}

TEST(MalformedToken, OversizedTokenIsRefusedBeforeParsing) {
    Fixture f;
    std::vector<std::uint8_t> big(64 * 1024 + 1, 0x0a);
    EXPECT_EQ(kind_of_refusal(big, f.root.public_key()), biscuit::ErrorKind::Format);
    biscuit::ParseOptions small{.max_size = f.bytes.size() - 1};
    EXPECT_THROW(Biscuit::from_bytes(f.bytes, f.root.public_key(), small), biscuit::Error);
    EXPECT_THROW(Biscuit::from_base64(std::string(200000, 'A'), f.root.public_key()),
                 biscuit::Error);
}

TEST(MalformedToken, BadBase64IsABase64Error) {
    Fixture f;
    try {
        Biscuit::from_base64("not base64!", f.root.public_key());
        FAIL();
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::Base64);
    }
}

TEST(MalformedToken, ErrorsNeverQuoteTheSecret) {
    Fixture f;
    auto flipped = f.bytes;
    flipped[flipped.size() / 2] ^= 1;
    try {
        Biscuit::from_bytes(flipped, KeyPair::generate().public_key());
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos);
    }
}

}  // namespace
