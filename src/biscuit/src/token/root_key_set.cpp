#include <biscuit/error.hpp>
#include <biscuit/root_key_provider.hpp>

namespace biscuit {

RootKeySet::RootKeySet(PublicKey key, bool default_for_unknown_ids)
    : default_(std::move(key)), default_for_unknown_ids_(default_for_unknown_ids) {}

RootKeySet& RootKeySet::add(std::uint32_t id, PublicKey key) {
    keys_.insert_or_assign(id, std::move(key));
    return *this;
}

RootKeySet& RootKeySet::set_default(PublicKey key, bool default_for_unknown_ids) {
    default_ = std::move(key);
    default_for_unknown_ids_ = default_for_unknown_ids;
    return *this;
}

PublicKey RootKeySet::choose(std::optional<std::uint32_t> root_key_id) const {
    if (root_key_id) {
        if (auto it = keys_.find(*root_key_id); it != keys_.end()) return it->second;
        if (default_ && default_for_unknown_ids_) return *default_;
        throw Error(FormatError::UnknownPublicKey,
                    "no root key with id " + std::to_string(*root_key_id));
    }
    if (default_) return *default_;
    throw Error(FormatError::UnknownPublicKey, "the token names no root key id");
}

}  // namespace biscuit
