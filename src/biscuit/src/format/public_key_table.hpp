#pragma once

// Public keys named in `trusting` scopes are stored once, by index (spec "Public key tables"):
// first-party blocks share the token's table; a third-party block has its own.

#include <biscuit/datalog/ast.hpp>
#include <cstdint>
#include <vector>

namespace biscuit::format {

class PublicKeyTable {
  public:
    // Throws Error{Format, "UnknownPublicKey"}.
    const datalog::PublicKey& lookup(std::uint64_t index) const;
    std::uint64_t intern(const datalog::PublicKey& key);
    bool contains(const datalog::PublicKey& key) const;
    // Appends a block's keys as they are: indices must match the writer's.
    void extend(const std::vector<datalog::PublicKey>& keys);

    std::vector<datalog::PublicKey> appended_since(std::size_t mark) const;
    std::size_t size() const { return keys_.size(); }

  private:
    std::vector<datalog::PublicKey> keys_;
};

}  // namespace biscuit::format
