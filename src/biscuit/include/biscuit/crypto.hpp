#pragma once

// Keys of Biscuit tokens: Ed25519 (the default) and secp256r1 (ECDSA over SHA-256), on OpenSSL 3.
// PublicKey is in public_key.hpp. Thread-safety: all immutable; copies share the parsed key.

#include <biscuit/public_key.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace biscuit {

class PrivateKey {
  public:
    PrivateKey(Algorithm algorithm, std::span<const std::uint8_t> bytes);
    // 64 hex digits (Ed25519), or `ed25519-private/<hex>` / `secp256r1-private/<hex>`.
    static PrivateKey from_hex(std::string_view text);
    ~PrivateKey();
    PrivateKey(const PrivateKey&);
    PrivateKey& operator=(const PrivateKey&);
    PrivateKey(PrivateKey&&) noexcept;
    PrivateKey& operator=(PrivateKey&&) noexcept;

    Algorithm algorithm() const { return algorithm_; }
    const Bytes& bytes() const { return bytes_; }  // secret: never log it
    std::string to_hex() const;
    PublicKey public_key() const;
    // Whether `key` is this key's public half (cheaper than comparing public_key()).
    bool matches(const PublicKey& key) const;
    Bytes sign(std::span<const std::uint8_t> message) const;

  private:
    struct Handle;
    Algorithm algorithm_;
    Bytes bytes_;
    std::shared_ptr<const Handle> handle_;
};

class KeyPair {
  public:
    explicit KeyPair(PrivateKey private_key);
    static KeyPair generate(Algorithm algorithm = Algorithm::Ed25519);

    const PrivateKey& private_key() const { return private_; }
    const PublicKey& public_key() const { return public_; }

  private:
    PrivateKey private_;
    PublicKey public_;
};

// Lowercase hex, and its inverse (Error{Format, "InvalidKey"} on a non-hex digit or odd length).
std::string to_hex(std::span<const std::uint8_t> bytes);
Bytes from_hex(std::string_view text);

}  // namespace biscuit
