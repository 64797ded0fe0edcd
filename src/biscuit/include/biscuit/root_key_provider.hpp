#pragma once

// Chooses the root public key a token is verified with, by the `root_key_id` its authority block
// names (spec "root key identifier"), so that an issuer can rotate keys: tokens signed with the
// old key keep verifying while new ones name the new key.
//
//   biscuit::RootKeySet keys;
//   keys.add(1, old_key).add(2, new_key).set_default(new_key);   // default: tokens naming none
//   auto token = biscuit::Biscuit::from_base64(text, keys);
//
// Thread-safety: choose() is const and called once per parse; RootKeySet is immutable once
// filled, so one set can serve parses on any number of threads (fill it before sharing it).

#include <biscuit/public_key.hpp>
#include <cstdint>
#include <map>
#include <optional>

namespace biscuit {

class RootKeyProvider {
  public:
    virtual ~RootKeyProvider() = default;
    // The key for a token naming `root_key_id` (nullopt: the token names none). Throws
    // Error{FormatError::UnknownPublicKey} when no key is known for it.
    virtual PublicKey choose(std::optional<std::uint32_t> root_key_id) const = 0;
};

// A fixed table of root keys by id, and an optional default for tokens that name no id (or an id
// the table does not hold, when `default_for_unknown_ids` is set).
class RootKeySet : public RootKeyProvider {
  public:
    RootKeySet() = default;
    // One key for every token, whatever id it names (the reference's `PublicKey` as a provider).
    explicit RootKeySet(PublicKey key, bool default_for_unknown_ids = true);

    RootKeySet& add(std::uint32_t id, PublicKey key);
    RootKeySet& set_default(PublicKey key, bool default_for_unknown_ids = false);

    PublicKey choose(std::optional<std::uint32_t> root_key_id) const override;

  private:
    std::map<std::uint32_t, PublicKey> keys_;
    std::optional<PublicKey> default_;
    bool default_for_unknown_ids_ = false;
};

}  // namespace biscuit
