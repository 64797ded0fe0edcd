#include "auth/cognit_frontend_root_key_source.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include "auth/key_slot.hpp"
#include "auth/reload_gate.hpp"
#include "core/error.hpp"
#include "http_client/http_client.hpp"

namespace ecf::auth {

struct CognitFrontendRootKeySource::State {
    State(boost::asio::any_io_executor executor, std::string url,
          std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
          http_client::TlsFiles tls, SteadyNow now)
        : client(std::move(executor), std::move(url),
                 http_client::HttpClientOptions{.timeout = timeout,
                                                .max_response_bytes = 64 * 1024,
                                                .max_idle_connections = 1,
                                                .tls = std::move(tls)}),
          gate(interval, std::move(now)),
          timeout(timeout) {}

    http_client::HttpClient client;
    ReloadGate gate;
    std::chrono::milliseconds timeout;
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
                                                         std::chrono::milliseconds timeout,
                                                         http_client::TlsFiles tls, SteadyNow now)
    : state_(std::make_shared<State>(std::move(executor), std::move(frontend_url), reload_interval,
                                     timeout, std::move(tls), std::move(now))) {}

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
    if (!state->gate.try_begin()) {
        if (!state->gate.running()) co_return false;  // rate-limited
        // Another token is reloading right now: its answer is this one's too. Polled, bounded
        // by the request's own deadline, as the reload may finish on any thread.
        const auto before = state->key.get();
        const auto deadline =
            std::chrono::steady_clock::now() + state->timeout + std::chrono::milliseconds(100);
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
        while (state->gate.running() && std::chrono::steady_clock::now() < deadline) {
            timer.expires_after(std::chrono::milliseconds(5));
            co_await timer.async_wait(boost::asio::use_awaitable);
        }
        co_return !(state->key.get() == before);
    }
    bool changed = false;
    try {
        changed = state->key.set(co_await state->fetch());
    } catch (const Error&) {
        // Keep the current key: the frontend being down must not stop valid tokens.
    }
    state->gate.finish();
    co_return changed;
}

RootKeyCounts CognitFrontendRootKeySource::counts() const {
    return state_->key.counts();
}

}  // namespace ecf::auth
