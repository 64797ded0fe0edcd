#pragma once

#include <biscuit/crypto.hpp>
#include <chrono>
#include <string>

#include "standalone/root_key_file.hpp"

namespace ecf::standalone {

// Issues the tokens the COGNIT frontend issues at POST /v1/authenticate: an authority block
//   user("<name>"); password("<password>"); check if time($time), $time < <now + lifetime>;
// signed with the root key, base64 (URL-safe, padded).
class TokenIssuer {
  public:
    explicit TokenIssuer(const RootKeyPair& keys,
                         std::chrono::seconds lifetime = std::chrono::hours(24));

    std::string issue(const std::string& user, const std::string& password) const;

  private:
    biscuit::KeyPair root_;
    std::chrono::seconds lifetime_;
};

}  // namespace ecf::standalone
