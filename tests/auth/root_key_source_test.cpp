#include <gtest/gtest.h>

#include <biscuit/crypto.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <future>
#include <memory>

#include "auth/cognit_frontend_root_key_source.hpp"
#include "auth/fixed_root_key_source.hpp"
#include "core/error.hpp"
#include "core/manual_clock.hpp"
#include "documents/python_double.hpp"
#include "documents/run_awaitable.hpp"
#include "http_client/http_client.hpp"

namespace ecf::auth {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::ManualClock;
using testing::run_awaitable;

std::string temp_path(const std::string& name) {
    return std::string(::testing::TempDir()) + "/ecf-auth-" + std::to_string(getpid()) + "-" + name;
}

std::string load_error(asio::io_context& io, RootKeySource& source) {
    try {
        run_awaitable(io, source.load());
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Internal);
        return e.what();
    }
    ADD_FAILURE() << "load() succeeded";
    return {};
}

TEST(FixedRootKeySource, AcceptsHexAndPrefixedHex) {
    asio::io_context io;
    const auto key = biscuit::KeyPair::generate().public_key();
    FixedRootKeySource bare(key.to_hex(), 0ms);
    run_awaitable(io, bare.load());
    EXPECT_TRUE(bare.current() == key);
    FixedRootKeySource prefixed("ed25519/" + key.to_hex(), 0ms);
    run_awaitable(io, prefixed.load());
    EXPECT_TRUE(prefixed.current() == key);
    EXPECT_FALSE(run_awaitable(io, prefixed.reload()));
}

TEST(FixedRootKeySource, BadKeyRefusesToLoadWithOneLine) {
    asio::io_context io;
    FixedRootKeySource bad("not a key", 0ms);
    const auto message = load_error(io, bad);
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_THROW(bad.current(), Error);
    FixedRootKeySource missing("@/nonexistent/key", 0ms);
    EXPECT_NE(load_error(io, missing).find("/nonexistent/key"), std::string::npos);
}

TEST(FixedRootKeySource, FileIsReadAgainOnReloadRateLimited) {
    asio::io_context io;
    const auto first = biscuit::KeyPair::generate().public_key();
    const auto second = biscuit::KeyPair::generate().public_key();
    const auto path = temp_path("key");
    std::ofstream(path) << first.to_hex() << "\n";
    ManualClock clock;
    FixedRootKeySource source("@" + path, 200ms, clock.now());
    run_awaitable(io, source.load());
    EXPECT_TRUE(source.current() == first);
    std::ofstream(path) << "ed25519/" << second.to_hex();
    EXPECT_TRUE(run_awaitable(io, source.reload()));
    EXPECT_TRUE(source.current() == second);
    std::ofstream(path) << first.to_hex();
    EXPECT_FALSE(run_awaitable(io, source.reload()));  // too soon
    EXPECT_TRUE(source.current() == second);
    clock.advance(199ms);
    EXPECT_FALSE(run_awaitable(io, source.reload()));  // still too soon
    clock.advance(1ms);
    EXPECT_TRUE(run_awaitable(io, source.reload()));
    EXPECT_TRUE(source.current() == first);
    std::ofstream(path) << "garbage";
    clock.advance(200ms);
    EXPECT_FALSE(run_awaitable(io, source.reload()));  // keeps the good key
    EXPECT_TRUE(source.current() == first);
}

class CognitFrontendRootKeySourceTest : public ::testing::Test {
  protected:
    biscuit::PublicKey key_ = biscuit::KeyPair::generate().public_key();
    asio::io_context io_;

    int requests(const testing::PythonDouble& frontend) {
        http_client::HttpClient client(io_.get_executor(), frontend.base_url());
        const auto response = run_awaitable(io_, client.get("/_test/requests"));
        const auto at = response.body.find(':');
        return std::stoi(response.body.substr(at + 1));
    }

    void post(const testing::PythonDouble& frontend, const std::string& route,
              const std::string& body) {
        http_client::HttpClient client(io_.get_executor(), frontend.base_url());
        EXPECT_EQ(run_awaitable(io_, client.post(route, "text/plain", body)).status, 200u);
    }
};

TEST_F(CognitFrontendRootKeySourceTest, LoadsHexAndPrefixedKeys) {
    for (const bool prefixed : {false, true}) {
        std::vector<std::string> arguments{"--key", key_.to_hex()};
        if (prefixed) arguments.push_back("--prefixed");
        testing::PythonDouble frontend("cognit_frontend.py", arguments);
        CognitFrontendRootKeySource source(io_.get_executor(), frontend.base_url(), 0ms, 5s);
        EXPECT_THROW(source.current(), Error);
        run_awaitable(io_, source.load());
        EXPECT_TRUE(source.current() == key_);
    }
}

TEST_F(CognitFrontendRootKeySourceTest, ReloadIsRateLimitedAndFollowsRotation) {
    testing::PythonDouble frontend("cognit_frontend.py", {"--key", key_.to_hex()});
    ManualClock clock;
    CognitFrontendRootKeySource source(io_.get_executor(), frontend.base_url(), 300ms, 5s, {},
                                       clock.now());
    run_awaitable(io_, source.load());
    EXPECT_EQ(requests(frontend), 1);

    const auto next = biscuit::KeyPair::generate().public_key();
    post(frontend, "/_test/key", next.to_hex());
    EXPECT_TRUE(run_awaitable(io_, source.reload()));
    EXPECT_TRUE(source.current() == next);
    // A flood of reloads within the interval reaches the frontend not once more.
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(run_awaitable(io_, source.reload()));
    EXPECT_EQ(requests(frontend), 2);
    clock.advance(300ms);
    EXPECT_FALSE(run_awaitable(io_, source.reload()));  // same key: asked, not changed
    EXPECT_EQ(requests(frontend), 3);

    // The frontend failing keeps the current key.
    post(frontend, "/_test/status", "500");
    clock.advance(300ms);
    EXPECT_FALSE(run_awaitable(io_, source.reload()));
    EXPECT_TRUE(source.current() == next);
}

// Tokens arriving while a reload is in flight wait for it instead of failing at once.
TEST_F(CognitFrontendRootKeySourceTest, ConcurrentReloadsShareTheOneInFlight) {
    testing::PythonDouble frontend("cognit_frontend.py", {"--key", key_.to_hex()});
    CognitFrontendRootKeySource source(io_.get_executor(), frontend.base_url(), 10s, 5s);
    run_awaitable(io_, source.load());
    const auto next = biscuit::KeyPair::generate().public_key();
    post(frontend, "/_test/key", next.to_hex());
    post(frontend, "/_test/delay", "0.3");
    std::vector<std::future<bool>> reloads;
    for (int i = 0; i < 5; ++i)
        reloads.push_back(asio::co_spawn(io_, source.reload(), asio::use_future));
    io_.restart();
    io_.run_for(10s);
    for (auto& reload : reloads) {
        ASSERT_EQ(reload.wait_for(0s), std::future_status::ready);
        EXPECT_TRUE(reload.get());
    }
    EXPECT_TRUE(source.current() == next);
    post(frontend, "/_test/delay", "0");
    EXPECT_EQ(requests(frontend), 2);
}

TEST_F(CognitFrontendRootKeySourceTest, NoKeyMeansNoStart) {
    {
        CognitFrontendRootKeySource unreachable(io_.get_executor(), "http://127.0.0.1:1", 0ms, 2s);
        const auto message = load_error(io_, unreachable);
        EXPECT_NE(message.find("COGNIT frontend"), std::string::npos);
        EXPECT_EQ(message.find('\n'), std::string::npos);
    }
    testing::PythonDouble frontend("cognit_frontend.py", {"--key", "zz-not-hex"});
    CognitFrontendRootKeySource bad_key(io_.get_executor(), frontend.base_url(), 0ms, 2s);
    load_error(io_, bad_key);
    post(frontend, "/_test/status", "503");
    CognitFrontendRootKeySource failing(io_.get_executor(), frontend.base_url(), 0ms, 2s);
    EXPECT_NE(load_error(io_, failing).find("503"), std::string::npos);
    post(frontend, "/_test/status", "200");
    post(frontend, "/_test/delay", "3");
    CognitFrontendRootKeySource slow(io_.get_executor(), frontend.base_url(), 0ms, 300ms);
    EXPECT_NE(load_error(io_, slow).find("timed out"), std::string::npos);
}

}  // namespace
}  // namespace ecf::auth
