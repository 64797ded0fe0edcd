#pragma once

// Strings of a token are stored once, by index (spec "Symbol table"): indices below 1024 name
// the default symbols, the others the symbols the blocks appended, in block order.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace biscuit::format {

class SymbolTable {
  public:
    static constexpr std::uint64_t kOffset = 1024;

    // Throws Error{Format, "UnknownSymbol"} (an index neither default nor appended).
    const std::string& lookup(std::uint64_t index) const;
    // The index of `symbol`, appending it when new (its index is then >= kOffset).
    std::uint64_t intern(std::string_view symbol);
    // Appends a block's symbols; Error{Format, "SymbolTableOverlap"} when one is already known.
    void extend(const std::vector<std::string>& symbols);

    // Symbols appended since `mark` (a size() taken earlier): a new block's `symbols` field.
    std::vector<std::string> appended_since(std::size_t mark) const;
    std::size_t size() const { return symbols_.size(); }

  private:
    std::vector<std::string> symbols_;
    std::unordered_map<std::string, std::uint64_t> index_;
};

}  // namespace biscuit::format
