#pragma once

// A Biscuit token: a signed chain of Datalog blocks (spec "Format" and "Cryptography").
//
//   auto root = biscuit::KeyPair::generate();
//   auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder(R"(user("alice");)"));
//   auto narrowed = token.attenuate(biscuit::BlockBuilder("check if time($t), $t <
//   2030-01-01T00:00:00Z;")); auto parsed = biscuit::Biscuit::from_base64(narrowed.to_base64(),
//   root.public_key());
//
// Parsing verifies every signature and the final proof before anything else looks at the
// content; a token that does not verify is refused with Error{Format, ...}.
//
// Thread-safety: a Biscuit is immutable; copies share its state, and every member may be called
// from any number of threads at once.

#include <biscuit/block_builder.hpp>
#include <biscuit/crypto.hpp>
#include <biscuit/datalog/engine.hpp>
#include <biscuit/error.hpp>
#include <biscuit/root_key_provider.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace biscuit {

struct ParseOptions {
    // Larger inputs are refused before parsing (Error{Format, "DeserializationError"}); applies to
    // the raw bytes (and to base64 text, scaled by 4/3).
    std::size_t max_size = 64 * 1024;
};

class Biscuit {
  public:
    // Parses and verifies a token against the root key. Throws biscuit::Error (Format, Base64).
    static Biscuit from_bytes(std::span<const std::uint8_t> bytes, const PublicKey& root,
                              const ParseOptions& options = {});
    // `text` may carry the specification's `biscuit:` prefix.
    static Biscuit from_base64(std::string_view text, const PublicKey& root,
                               const ParseOptions& options = {});
    // As above, with the root key chosen by the token's root_key_id (see RootKeyProvider).
    static Biscuit from_bytes(std::span<const std::uint8_t> bytes, const RootKeyProvider& roots,
                              const ParseOptions& options = {});
    static Biscuit from_base64(std::string_view text, const RootKeyProvider& roots,
                               const ParseOptions& options = {});
    // Parses without a root key: the signature chain is checked to be internally consistent
    // (every block signed by the previous block's next key, and the proof), but the authority
    // block's signer is not known to be trusted. Such a token can be printed and attenuated,
    // never authorized (Authorizer refuses it).
    static Biscuit unverified_from_bytes(std::span<const std::uint8_t> bytes,
                                         const ParseOptions& options = {});
    static Biscuit unverified_from_base64(std::string_view text, const ParseOptions& options = {});

    // A new token whose authority block holds `authority`, signed by `root`.
    static Biscuit mint(const KeyPair& root, const BlockBuilder& authority,
                        std::optional<std::uint32_t> root_key_id = std::nullopt);
    // A new token with one more block, signed by this token's next key; a fresh ephemeral key
    // pair becomes the new next key. Throws Error{AppendOnSealed} on a sealed token.
    Biscuit attenuate(const BlockBuilder& block) const;
    // The same token, no longer attenuable. Throws Error{AlreadySealed} when it is sealed.
    Biscuit seal() const;

    // Third-party blocks (spec "Appending a third-party block"), exchanged as base64 text:
    // the holder sends third_party_request() to the third party, which answers with
    // create_third_party_block(); the holder appends it with append_third_party().
    std::string third_party_request() const;
    static std::string create_third_party_block(std::string_view request, const KeyPair& external,
                                                const BlockBuilder& block);
    // Throws Error{Format, "Signature/InvalidSignature"} when the contents are not signed by
    // `external_key` for this token, Error{AppendOnSealed} on a sealed token.
    Biscuit append_third_party(const PublicKey& external_key, std::string_view contents) const;

    std::vector<std::uint8_t> to_bytes() const;
    std::string to_base64() const;

    bool verified() const;  // parsed with a root key (or minted here)
    bool sealed() const;
    std::optional<std::uint32_t> root_key_id() const;
    std::size_t block_count() const;
    // Block 0 is the authority block. Strings and keys are resolved from the symbol tables.
    const std::vector<datalog::TokenBlock>& blocks() const;
    const std::string& block_context(std::size_t index) const;
    // Each block's signature in lowercase hex, authority first (the reference's revocation ids).
    std::vector<std::string> revocation_ids() const;
    // One block's Datalog text, as the reference prints it.
    std::string print_block(std::size_t index) const;

  private:
    // The inside (src/token/biscuit_state.hpp) is the library's own: built only by the
    // functions above, reached by its internals through TokenInternals.
    struct State;
    friend struct TokenInternals;
    explicit Biscuit(std::shared_ptr<const State> state);

    std::shared_ptr<const State> state_;  // immutable: copies are cheap and thread-safe
};

}  // namespace biscuit
