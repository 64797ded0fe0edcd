// Any holder of a token can append a block of arbitrary bytes, correctly signed with the token's
// next key: the block decoder and the engine face attacker-chosen input. Mutated blocks, signed
// properly, must be refused with a biscuit::Error or evaluated, never crash or hang.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <chrono>
#include <random>

#include "crypto/signature_payload.hpp"
#include "format/block_codec.hpp"
#include "schema.pb.h"

namespace {

namespace schema = biscuit::format::schema;

std::string valid_block() {
    auto code = biscuit::datalog::parse_block(R"(
        user("alice"); right("file1", "read"); num(42); data(hex:0102); flag(true);
        at(2024-01-01T00:00:00Z); tags(["a", "b"]);
        can($r) <- right($r, "read"), $r.starts_with("file");
        check if time($t), $t < 2099-01-01T00:00:00Z, 1 + 2 * 3 == 7;
        check if num($n), $n > 10 || $n < -10, "abc".length() == 3;
    )");
    biscuit::format::SymbolTable symbols;
    biscuit::format::PublicKeyTable keys;
    schema::Block block;
    biscuit::format::encode_block(code, "", symbols, keys, block);
    return block.SerializeAsString();
}

std::string mutate(std::string data, std::mt19937& rng) {
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !data.empty(); ++e) {
        const std::size_t at = rng() % data.size();
        switch (rng() % 5) {
            case 0:
                data[at] = static_cast<char>(data[at] ^ (1 << (rng() % 8)));
                break;
            case 1:
                data[at] = static_cast<char>(rng());
                break;
            case 2:
                data.insert(at, 1, static_cast<char>(rng()));
                break;
            case 3:
                data.erase(at, 1 + rng() % 4);
                break;
            default:
                data.resize(at);
                break;
        }
    }
    return data;
}

// A token whose authority block is `data`, signed as the reference would.
std::vector<std::uint8_t> token_with_block(const std::string& data, const biscuit::KeyPair& root,
                                           const biscuit::KeyPair& next) {
    std::vector<std::uint8_t> bytes(data.begin(), data.end());
    auto signature = root.private_key().sign(
        biscuit::crypto::block_signature_payload({bytes, next.public_key(), {}, {}, 0}));
    schema::Biscuit token;
    auto* authority = token.mutable_authority();
    authority->set_block(data);
    authority->mutable_nextkey()->set_algorithm(schema::PublicKey::Ed25519);
    const auto& key = next.public_key().bytes();
    authority->mutable_nextkey()->set_key(std::string(key.begin(), key.end()));
    authority->set_signature(std::string(signature.begin(), signature.end()));
    const auto& secret = next.private_key().bytes();
    token.mutable_proof()->set_nextsecret(std::string(secret.begin(), secret.end()));
    std::string out = token.SerializeAsString();
    return {out.begin(), out.end()};
}

TEST(BlockMutation, SignedGarbageBlocksAreRefusedOrEvaluatedNeverCrash) {
    const auto root = biscuit::KeyPair::generate();
    const auto next = biscuit::KeyPair::generate();
    const std::string base = valid_block();
    std::mt19937 rng(7);
    int accepted = 0, refused = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int i = 0; i < 3000 && std::chrono::steady_clock::now() < deadline; ++i) {
        const std::string data = i == 0 ? base : mutate(base, rng);
        try {
            auto token =
                biscuit::Biscuit::from_bytes(token_with_block(data, root, next), root.public_key());
            biscuit::Authorizer authorizer;
            authorizer.add_token(token);
            authorizer.add_code("time(2025-01-01T00:00:00Z); allow if true;");
            (void)authorizer.run();
            (void)token.print_block(0);
            ++accepted;
        } catch (const biscuit::Error& e) {
            EXPECT_TRUE(e.kind() == biscuit::ErrorKind::Format ||
                        e.kind() == biscuit::ErrorKind::Execution ||
                        e.kind() == biscuit::ErrorKind::RunLimit)
                << i << ": " << e.what();
            ++refused;
        }
    }
    std::cout << accepted << " mutated blocks evaluated, " << refused << " refused\n";
    EXPECT_GT(accepted, 0);
    EXPECT_GT(refused, 0);
}

}  // namespace
