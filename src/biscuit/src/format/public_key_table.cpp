#include "format/public_key_table.hpp"

#include <algorithm>
#include <biscuit/error.hpp>
#include <string>

namespace biscuit::format {

const datalog::PublicKey& PublicKeyTable::lookup(std::uint64_t index) const {
    if (index >= keys_.size()) throw Error(FormatError::UnknownPublicKey, std::to_string(index));
    return keys_[index];
}

bool PublicKeyTable::contains(const datalog::PublicKey& key) const {
    return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

std::uint64_t PublicKeyTable::intern(const datalog::PublicKey& key) {
    auto it = std::find(keys_.begin(), keys_.end(), key);
    if (it != keys_.end()) return static_cast<std::uint64_t>(it - keys_.begin());
    keys_.push_back(key);
    return keys_.size() - 1;
}

void PublicKeyTable::extend(const std::vector<datalog::PublicKey>& keys) {
    keys_.insert(keys_.end(), keys.begin(), keys.end());
}

std::vector<datalog::PublicKey> PublicKeyTable::appended_since(std::size_t mark) const {
    return {keys_.begin() + static_cast<std::ptrdiff_t>(mark), keys_.end()};
}

}  // namespace biscuit::format
