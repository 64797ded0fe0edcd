#pragma once

#include <filesystem>
#include <string>

namespace ecf::standalone {

// The Ed25519 root key pair that signs standalone mode's tokens, both halves in lowercase hex.
struct RootKeyPair {
    std::string private_hex;  // secret: never log it
    std::string public_hex;
};

// Reads the root key pair from `file` (the private key, 64 hex digits), or on first start
// generates one and writes it there with mode 0600 (created exclusively, so two processes
// starting at once cannot end up with different keys). The public key is derived, never stored
// apart. Throws ecf::Error(Internal) when the file is unreadable, damaged, or readable by others.
RootKeyPair load_or_create_root_key(const std::filesystem::path& file);

}  // namespace ecf::standalone
