#include "auth/key_slot.hpp"

#include <biscuit/error.hpp>

namespace ecf::auth {

biscuit::PublicKey parse_root_key(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    try {
        return biscuit::PublicKey::from_hex(text);
    } catch (const biscuit::Error& e) {
        throw Error(ErrorKind::Internal,
                    "the root public key is not a valid key (" + e.sub_kind() + ")");
    }
}

}  // namespace ecf::auth
