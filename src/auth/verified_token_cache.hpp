#pragma once

#include <array>
#include <atomic>
#include <biscuit/biscuit.hpp>
#include <biscuit/crypto.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace ecf::auth {

// Tokens whose signature chain has been verified against a root key, so that a device sending
// the same token on every request pays for the Ed25519 verifications once. Only the signature
// work is remembered: the caller still authorizes the token (Datalog, with the current time) on
// every request, so expiry and every check stay exact.
//
// Entries are found by the SHA-256 of the token text (a collision would hand one token's
// credentials to another text, so the hash must be one nobody can collide), bounded by count
// (least recently used goes first) and by the token's own lifetime when its checks state one.
// All entries belong to one root key: a lookup or insert with another key empties the cache
// (the issuer rotated its key). Safe to call from any thread.
class VerifiedTokenCache {
  public:
    using Clock = std::chrono::system_clock;

    struct Counts {
        std::uint64_t hits = 0;
        std::uint64_t misses = 0;
        std::size_t entries = 0;
    };

    // `max_entries` 0 disables the cache (every lookup misses, nothing is kept).
    explicit VerifiedTokenCache(std::size_t max_entries);

    // The token `text` as verified earlier against `root`, unless it outlived its lifetime.
    std::optional<biscuit::Biscuit> find(std::string_view text, const biscuit::PublicKey& root,
                                         Clock::time_point now);
    // Keeps `verified` (parsed from `text` with `root`) unless it has expired already.
    void insert(std::string_view text, const biscuit::PublicKey& root, biscuit::Biscuit verified,
                Clock::time_point now);

    Counts counts() const;

    // The moment no authorization of `token` can pass any more, from a `check if time($t),
    // $t < <date>` (or `<=`) of any of its blocks; nullopt when no check states one.
    static std::optional<Clock::time_point> lifetime_end(const biscuit::Biscuit& token);

  private:
    using Digest = std::array<std::uint8_t, 32>;
    struct DigestHash {
        std::size_t operator()(const Digest& d) const;
    };
    struct Entry {
        Digest digest;
        biscuit::Biscuit token;
        std::optional<Clock::time_point> expires;
    };

    static Digest digest_of(std::string_view text);
    // With mutex_ held: empties the cache when `root` is not the key of its entries.
    void use_root(const biscuit::PublicKey& root);

    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::optional<biscuit::PublicKey> root_;
    std::list<Entry> order_;  // most recently used first
    std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash> index_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
};

}  // namespace ecf::auth
