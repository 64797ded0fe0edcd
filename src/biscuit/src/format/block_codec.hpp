#pragma once

// Conversion between the protobuf `Block` and the Datalog AST: strings and variables go through
// the symbol table, scope keys through the public key table.

#include <biscuit/datalog/ast.hpp>
#include <optional>
#include <string>

#include "format/public_key_table.hpp"
#include "format/symbol_table.hpp"
#include "schema.pb.h"

namespace biscuit::format {

// Throws Error{Format, "DeserializationError"/"Version"/"UnknownSymbol"/"UnknownPublicKey"}.
// `third_party`: the block carries an external signature.
datalog::BlockCode decode_block(const schema::Block& block, const SymbolTable& symbols,
                                const PublicKeyTable& keys, bool third_party);

// Fills `out` (symbols and public keys that are new to the tables, the block's version, its
// content), interning into `symbols` and `keys`.
void encode_block(const datalog::BlockCode& code, const std::string& context, SymbolTable& symbols,
                  PublicKeyTable& keys, schema::Block& out);

}  // namespace biscuit::format
