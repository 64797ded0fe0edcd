#include "format/symbol_table.hpp"

#include <array>
#include <biscuit/error.hpp>

namespace biscuit::format {
namespace {

constexpr std::array<std::string_view, 28> kDefaultSymbols = {
    "read",  "write",   "resource",  "operation",  "right",    "time",      "role",
    "owner", "tenant",  "namespace", "user",       "team",     "service",   "admin",
    "email", "group",   "member",    "ip_address", "client",   "client_ip", "domain",
    "path",  "version", "cluster",   "node",       "hostname", "nonce",     "query"};

const std::string& default_symbol(std::uint64_t index) {
    static const std::array<std::string, kDefaultSymbols.size()> strings = [] {
        std::array<std::string, kDefaultSymbols.size()> out;
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::string(kDefaultSymbols[i]);
        return out;
    }();
    return strings[index];
}

std::int64_t default_index(std::string_view symbol) {
    for (std::size_t i = 0; i < kDefaultSymbols.size(); ++i)
        if (kDefaultSymbols[i] == symbol) return static_cast<std::int64_t>(i);
    return -1;
}

}  // namespace

const std::string& SymbolTable::lookup(std::uint64_t index) const {
    if (index < kDefaultSymbols.size()) return default_symbol(index);
    if (index >= kOffset && index - kOffset < symbols_.size()) return symbols_[index - kOffset];
    throw Error(FormatError::UnknownSymbol, std::to_string(index));
}

std::uint64_t SymbolTable::intern(std::string_view symbol) {
    if (auto d = default_index(symbol); d >= 0) return static_cast<std::uint64_t>(d);
    auto it = index_.find(std::string(symbol));
    if (it != index_.end()) return it->second;
    std::uint64_t index = kOffset + symbols_.size();
    symbols_.emplace_back(symbol);
    index_.emplace(symbols_.back(), index);
    return index;
}

void SymbolTable::extend(const std::vector<std::string>& symbols) {
    for (const auto& s : symbols) {
        if (default_index(s) >= 0 || index_.contains(s))
            throw Error(FormatError::SymbolTableOverlap);
        index_.emplace(s, kOffset + symbols_.size());
        symbols_.push_back(s);
    }
}

std::vector<std::string> SymbolTable::appended_since(std::size_t mark) const {
    return {symbols_.begin() + static_cast<std::ptrdiff_t>(mark), symbols_.end()};
}

}  // namespace biscuit::format
