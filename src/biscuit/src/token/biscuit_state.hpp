#pragma once

// The immutable inside of a Biscuit: the signed blocks as they travel, their decoded Datalog,
// and the symbol and key tables a new block continues from.

#include <biscuit/biscuit.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "format/public_key_table.hpp"
#include "format/symbol_table.hpp"

namespace biscuit {

struct ExternalSignature {
    Bytes signature;
    PublicKey public_key;
};

struct SignedBlock {
    Bytes data;  // the serialized Block, exactly as signed
    PublicKey next_key;
    Bytes signature;
    std::optional<ExternalSignature> external;
    std::uint32_t signature_format = 0;
};

struct Biscuit::State {
    std::optional<std::uint32_t> root_key_id;
    std::vector<SignedBlock> signed_blocks;
    std::vector<datalog::TokenBlock> blocks;
    std::vector<std::string> contexts;
    // The secret of the last next key (attenuable), or the final signature (sealed).
    std::variant<PrivateKey, Bytes> proof;
    bool verified = false;
    format::SymbolTable symbols;  // default + first-party blocks' symbols
    format::PublicKeyTable public_keys;
};

// The library's access to a Biscuit's inside (its constructor and State are private).
struct TokenInternals {
    using State = Biscuit::State;
    static Biscuit make(std::shared_ptr<const State> state) { return Biscuit(std::move(state)); }
    static const State& state(const Biscuit& token) { return *token.state_; }
};

}  // namespace biscuit
