#pragma once

// The library's one public key type: a root key, a block's next key, a third-party block's
// signer, and a key in Datalog (`trusting ed25519/<hex>`, datalog::PublicKey is this type).
// Ed25519 (the default) and secp256r1 (ECDSA over SHA-256), on OpenSSL 3.
//
// Thread-safety: immutable; copies share the parsed key and may be used on any threads.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace biscuit {

using Bytes = std::vector<std::uint8_t>;

// The values of the wire format's PublicKey.Algorithm.
enum class Algorithm : std::uint8_t { Ed25519 = 0, Secp256r1 = 1 };

// A checked public key. Construction checks the encoding (32 bytes for Ed25519, 33-byte SEC1
// compressed point for secp256r1): a bad key is Error{FormatError::InvalidKey/InvalidKeySize}.
class PublicKey {
  public:
    using Algorithm = biscuit::Algorithm;  // `PublicKey::Algorithm::Ed25519`, as in Datalog code

    PublicKey(Algorithm algorithm, std::span<const std::uint8_t> bytes);
    // 64 hex digits (Ed25519), or `ed25519/<hex>` / `secp256r1/<hex>`.
    static PublicKey from_hex(std::string_view text);

    Algorithm algorithm() const { return algorithm_; }
    const Bytes& bytes() const { return bytes_; }
    std::string to_hex() const;     // bare lowercase hex
    std::string to_string() const;  // `ed25519/<hex>`, as Datalog prints it

    // Throws Error{FormatError::InvalidSignature} when `signature` does not sign `message`.
    void verify(std::span<const std::uint8_t> message,
                std::span<const std::uint8_t> signature) const;

    friend bool operator==(const PublicKey& a, const PublicKey& b) {
        return a.algorithm_ == b.algorithm_ && a.bytes_ == b.bytes_;
    }

  private:
    struct Handle;
    Algorithm algorithm_;
    Bytes bytes_;
    std::shared_ptr<const Handle> handle_;  // the parsed OpenSSL key, shared by copies
};

}  // namespace biscuit
