#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "auth/root_key_source.hpp"
#include "core/steady_now.hpp"

namespace ecf::auth {

// A key given in the configuration (config public_key): hex ("<64 hex>" or "ed25519/<hex>"), or
// "@/path/to/file" holding that text. A file is read again on reload(), so a key can be rotated
// by replacing the file.
class FixedRootKeySource : public RootKeySource {
  public:
    // `now`: the clock of the reload interval (default: the steady clock).
    FixedRootKeySource(std::string public_key, std::chrono::milliseconds reload_interval,
                       SteadyNow now = {});
    ~FixedRootKeySource() override;

    boost::asio::awaitable<void> load() override;
    biscuit::PublicKey current() const override;
    boost::asio::awaitable<bool> reload() override;
    RootKeyCounts counts() const override;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace ecf::auth
