#pragma once

#include <biscuit/crypto.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>

namespace ecf::auth {

// How often the root key was loaded (first load and every reload that fetched one) and how often
// it changed (the first load counts as a change), since start.
struct RootKeyCounts {
    std::uint64_t loads = 0;
    std::uint64_t changes = 0;
};

// Where the root public key of the token issuer comes from (contract §2).
class RootKeySource {
  public:
    virtual ~RootKeySource() = default;

    // Fetches the key for the first time. Throws ecf::Error(Internal) with a one-line reason when
    // it cannot be had: the service then refuses to start.
    virtual boost::asio::awaitable<void> load() = 0;

    // The key to verify tokens with. Throws ecf::Error(Unauthorized) if load() never succeeded.
    virtual biscuit::PublicKey current() const = 0;

    // Fetches the key again, at most once per public_key_reload_interval (a flood of bad tokens
    // must not hammer the issuer). Returns true when the key changed. Never throws: a failed
    // reload keeps the current key.
    virtual boost::asio::awaitable<bool> reload() = 0;

    // For /metrics.
    virtual RootKeyCounts counts() const = 0;
};

}  // namespace ecf::auth
