#include "auth/fixed_root_key_source.hpp"

#include <fstream>

#include "auth/key_slot.hpp"
#include "auth/reload_gate.hpp"
#include "core/error.hpp"

namespace ecf::auth {

struct FixedRootKeySource::State {
    State(std::string configured, std::chrono::milliseconds interval, SteadyNow now)
        : configured(std::move(configured)), gate(interval, std::move(now)) {}

    std::string configured;
    ReloadGate gate;
    KeySlot key;

    bool from_file() const { return !configured.empty() && configured.front() == '@'; }

    biscuit::PublicKey read() const {
        if (!from_file()) return parse_root_key(configured);
        const auto path = configured.substr(1);
        std::ifstream file(path, std::ios::binary);
        if (!file) throw Error(ErrorKind::Internal, "cannot read the public key file " + path);
        // A key file holds about 72 characters; refuse to read a large file into memory.
        std::string text(4096, '\0');
        file.read(text.data(), static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<std::size_t>(file.gcount()));
        if (!file.eof()) throw Error(ErrorKind::Internal, "the public key file is too large");
        return parse_root_key(text);
    }
};

FixedRootKeySource::FixedRootKeySource(std::string public_key,
                                       std::chrono::milliseconds reload_interval, SteadyNow now)
    : state_(std::make_shared<State>(std::move(public_key), reload_interval, std::move(now))) {}

FixedRootKeySource::~FixedRootKeySource() = default;

boost::asio::awaitable<void> FixedRootKeySource::load() {
    try {
        state_->key.set(state_->read());
    } catch (const Error& e) {
        throw Error(ErrorKind::Internal,
                    std::string("cannot load the configured public_key: ") + e.what());
    }
    co_return;
}

biscuit::PublicKey FixedRootKeySource::current() const {
    return state_->key.get();
}

boost::asio::awaitable<bool> FixedRootKeySource::reload() {
    if (!state_->from_file() || !state_->gate.try_begin()) co_return false;
    bool changed = false;
    try {
        changed = state_->key.set(state_->read());
    } catch (const Error&) {
        // A half-written file must not replace a good key.
    }
    state_->gate.finish();
    co_return changed;
}

RootKeyCounts FixedRootKeySource::counts() const {
    return state_->key.counts();
}

}  // namespace ecf::auth
