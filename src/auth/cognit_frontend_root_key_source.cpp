#include "auth/cognit_frontend_root_key_source.hpp"

#include <boost/json/parse.hpp>

#include "auth/key_slot.hpp"
#include "auth/reload_gate.hpp"
#include "core/error.hpp"
#include "http_client/http_client.hpp"

namespace ecf::auth {

struct CognitFrontendRootKeySource::State {
    State(boost::asio::any_io_executor executor, std::string url,
          std::chrono::milliseconds interval, std::chrono::milliseconds timeout)
        : client(
              std::move(executor), std::move(url),
              http_client::HttpClientOptions{
                  .timeout = timeout, .max_response_bytes = 64 * 1024, .max_idle_connections = 1}),
          gate(interval) {}

    http_client::HttpClient client;
    ReloadGate gate;
    KeySlot key;

    boost::asio::awaitable<biscuit::PublicKey> fetch() {
        std::string route = "/v1/public_key";
        const auto response = co_await client.get(std::move(route));
        if (response.status != 200)
            throw Error(ErrorKind::Internal,
                        "the COGNIT frontend answered HTTP " + std::to_string(response.status));
        boost::system::error_code ec;
        const auto json = boost::json::parse(response.body, ec);
        if (ec || !json.is_string())
            throw Error(ErrorKind::Internal, "the COGNIT frontend's answer is not a JSON string");
        co_return parse_root_key(json.get_string());
    }
};

CognitFrontendRootKeySource::CognitFrontendRootKeySource(boost::asio::any_io_executor executor,
                                                         std::string frontend_url,
                                                         std::chrono::milliseconds reload_interval,
                                                         std::chrono::milliseconds timeout)
    : state_(std::make_shared<State>(std::move(executor), std::move(frontend_url), reload_interval,
                                     timeout)) {}

CognitFrontendRootKeySource::~CognitFrontendRootKeySource() = default;

boost::asio::awaitable<void> CognitFrontendRootKeySource::load() {
    auto state = state_;
    try {
        state->key.set(co_await state->fetch());
    } catch (const Error& e) {
        throw Error(
            ErrorKind::Internal,
            std::string("cannot load the root public key from the COGNIT frontend: ") + e.what());
    }
}

biscuit::PublicKey CognitFrontendRootKeySource::current() const {
    return state_->key.get();
}

boost::asio::awaitable<bool> CognitFrontendRootKeySource::reload() {
    auto state = state_;
    if (!state->gate.try_begin()) co_return false;
    bool changed = false;
    try {
        changed = state->key.set(co_await state->fetch());
    } catch (const Error&) {
        // Keep the current key: the frontend being down must not stop valid tokens.
    }
    state->gate.finish();
    co_return changed;
}

}  // namespace ecf::auth
