#pragma once

// Each block records the Datalog version it needs (spec "Versions"): readers refuse blocks whose
// version is outside what they know, and blocks using features newer than their version.

#include <biscuit/datalog/ast.hpp>
#include <cstdint>

namespace biscuit::format {

inline constexpr std::uint32_t kMinBlockVersion = 3;
inline constexpr std::uint32_t kMaxBlockVersion = 6;
inline constexpr std::uint32_t kDatalog31 = 4;  // check all, bitwise operators, !=, scopes
inline constexpr std::uint32_t kDatalog32 = 5;  // third-party blocks
inline constexpr std::uint32_t kDatalog33 = 6;  // reject if, null/array/map, closures, ===, ...

// The lowest version able to carry `code`.
std::uint32_t required_version(const datalog::BlockCode& code, bool third_party);

// Throws Error{Format, "DeserializationError"} when `code`, read from a block of `version`, uses
// a feature that version does not have. The features are the ones the reference detects
// (Datalog 3.1: scopes, `check all`, bitwise operators, `!=`; Datalog 3.3: `null`, closures,
// `.type()`, `===`/`!==`, lazy `&&`/`||`, `.all()`/`.any()`, and `.try_or()`). Arrays, maps and
// `.get()` are not among them: the reference writes them in blocks of any version.
void check_compatible(const datalog::BlockCode& code, std::uint32_t version);

}  // namespace biscuit::format
