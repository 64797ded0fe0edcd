// The ECF's token path as a request sees it: BiscuitTokenAuthorizer::authorize on a COGNIT-shaped
// token, the same token every time (one device sending requests), and a fresh token each time
// (a token the service has not seen).
#include <benchmark/benchmark.h>

#include <biscuit/biscuit.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "auth/biscuit_token_authorizer.hpp"

namespace {

namespace asio = boost::asio;

class FixedKey : public ecf::auth::RootKeySource {
  public:
    explicit FixedKey(biscuit::PublicKey key) : key_(std::move(key)) {}
    asio::awaitable<void> load() override { co_return; }
    biscuit::PublicKey current() const override { return key_; }
    asio::awaitable<bool> reload() override { co_return false; }
    ecf::auth::RootKeyCounts counts() const override { return {1, 1}; }

  private:
    biscuit::PublicKey key_;
};

constexpr const char* kAuthority =
    "user(\"alice\");\npassword(\"secret\");\n"
    "check if time($time), $time < 2099-01-01T00:00:00Z;";

void authorize(asio::io_context& io, ecf::auth::BiscuitTokenAuthorizer& authorizer,
               const std::string& token) {
    auto done = asio::co_spawn(io, authorizer.authorize(token), asio::use_future);
    io.restart();
    io.run();
    benchmark::DoNotOptimize(done.get());
}

void BM_AuthorizeSameToken(benchmark::State& state) {
    const auto root = biscuit::KeyPair::generate();
    ecf::auth::BiscuitTokenAuthorizer authorizer(std::make_shared<FixedKey>(root.public_key()));
    const auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder(kAuthority)).to_base64();
    asio::io_context io;
    for (auto _ : state) authorize(io, authorizer, token);
}
BENCHMARK(BM_AuthorizeSameToken);

// Each iteration sees a token not seen before (more tokens than the cache holds by default).
constexpr int kNewTokens = 20'000;

void BM_AuthorizeNewToken(benchmark::State& state) {
    const auto root = biscuit::KeyPair::generate();
    ecf::auth::BiscuitTokenAuthorizer authorizer(std::make_shared<FixedKey>(root.public_key()));
    std::vector<std::string> tokens;
    for (int i = 0; i < kNewTokens; ++i) {
        tokens.push_back(
            biscuit::Biscuit::mint(root, biscuit::BlockBuilder(kAuthority)).to_base64());
    }
    asio::io_context io;
    std::size_t next = 0;
    for (auto _ : state) authorize(io, authorizer, tokens[next++ % tokens.size()]);
}
BENCHMARK(BM_AuthorizeNewToken)->Iterations(kNewTokens);

}  // namespace

BENCHMARK_MAIN();
