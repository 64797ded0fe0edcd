#pragma once

#include <biscuit/crypto.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "auth/root_key_source.hpp"
#include "core/error.hpp"

namespace ecf::auth {

// The current root key, read by every I/O thread and replaced by a reload.
class KeySlot {
  public:
    biscuit::PublicKey get() const {
        std::lock_guard lock(mutex_);
        if (!key_) throw Error(ErrorKind::Unauthorized, "the token issuer's key is not loaded");
        return *key_;
    }

    // Returns true when `key` differs from the previous one.
    bool set(biscuit::PublicKey key) {
        std::lock_guard lock(mutex_);
        const bool changed = !key_ || !(*key_ == key);
        key_ = std::make_shared<const biscuit::PublicKey>(std::move(key));
        ++counts_.loads;
        if (changed) ++counts_.changes;
        return changed;
    }

    RootKeyCounts counts() const {
        std::lock_guard lock(mutex_);
        return counts_;
    }

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const biscuit::PublicKey> key_;
    RootKeyCounts counts_;
};

// Parses "<64 hex>" or "ed25519/<hex>" (and secp256r1/<hex>), surrounding whitespace ignored.
// Throws ecf::Error(Internal) naming the problem, never quoting the text.
biscuit::PublicKey parse_root_key(std::string_view text);

}  // namespace ecf::auth
