#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "auth/root_key_source.hpp"
#include "core/steady_now.hpp"
#include "http_client/tls_files.hpp"

namespace ecf::auth {

// The COGNIT frontend's key: `GET <cognit_frontend>/v1/public_key` answers 200 with a JSON string
// of 64 hex digits or "ed25519/<hex>".
class CognitFrontendRootKeySource : public RootKeySource {
  public:
    // `frontend_url`: config cognit_frontend, e.g. "http://localhost:1338".
    // `reload_interval`: config public_key_reload_interval. `timeout`: deadline of one request.
    // `tls`: for an https:// URL, the CAs to trust and the client certificate if any.
    // `now`: the clock of the reload interval (default: the steady clock).
    CognitFrontendRootKeySource(boost::asio::any_io_executor executor, std::string frontend_url,
                                std::chrono::milliseconds reload_interval,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                http_client::TlsFiles tls = {}, SteadyNow now = {});
    ~CognitFrontendRootKeySource() override;

    boost::asio::awaitable<void> load() override;
    biscuit::PublicKey current() const override;
    boost::asio::awaitable<bool> reload() override;
    RootKeyCounts counts() const override;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace ecf::auth
