#pragma once

// The byte strings each signature of a token covers (spec "Cryptography"). Format 0 is the
// concatenation the v3 specification first defined; format 1 tags every part and also covers
// the previous block's signature, so a block cannot be replayed onto another token.

#include <biscuit/crypto.hpp>
#include <cstdint>
#include <optional>
#include <span>

namespace biscuit::crypto {

struct BlockSignatureInput {
    std::span<const std::uint8_t> data;  // the serialized Block
    const PublicKey& next_key;
    std::optional<std::span<const std::uint8_t>> external_signature;
    std::optional<std::span<const std::uint8_t>> previous_signature;  // format 1 only
    std::uint32_t format = 0;
};

Bytes block_signature_payload(const BlockSignatureInput& input);

// The signature format a new block uses, as the reference chooses it: format 1 for third-party
// blocks, Datalog 3.3 blocks and non-Ed25519 keys, otherwise the highest format already in the
// token (so a token never goes back to format 0).
std::uint32_t block_signature_format(const PublicKey& signer, const PublicKey& next_key,
                                     bool third_party, std::uint32_t block_version,
                                     std::uint32_t previous_max_format);

// What the third party signs: format 0 binds the block to the key that verifies it (the previous
// block's next key); format 1 binds it to the previous block's signature.
Bytes external_signature_payload(std::span<const std::uint8_t> data, const PublicKey& previous_key,
                                 std::span<const std::uint8_t> previous_signature,
                                 std::uint32_t format);

// The final signature of a sealed token, by the last next key over the last block.
Bytes seal_signature_payload(std::span<const std::uint8_t> data, const PublicKey& next_key,
                             std::span<const std::uint8_t> signature);

}  // namespace biscuit::crypto
