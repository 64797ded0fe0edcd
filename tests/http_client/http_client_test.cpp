#include "http_client/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <future>

#include "core/error.hpp"
#include "documents/python_double.hpp"
#include "documents/run_awaitable.hpp"

namespace ecf::http_client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::run_awaitable;

class HttpClientTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = std::make_unique<testing::PythonDouble>(
            "cognit_frontend.py", std::vector<std::string>{"--key", std::string(64, 'a')});
    }
    static void TearDownTestSuite() { server_.reset(); }

    int connections() { return count("/_test/connections"); }
    // Connections the double closed after answering /_test/close, their FIN sent.
    int closes() { return count("/_test/closes"); }

    int count(const std::string& route) {
        HttpClient fresh(io_.get_executor(), server_->base_url());
        const auto body = run_awaitable(io_, fresh.get(route)).body;
        return std::stoi(body.substr(body.find(':') + 1));
    }

    asio::io_context io_;
    static std::unique_ptr<testing::PythonDouble> server_;
};

std::unique_ptr<testing::PythonDouble> HttpClientTest::server_;

TEST_F(HttpClientTest, GetsAndReusesTheConnection) {
    const int before = connections();
    HttpClient client(io_.get_executor(), server_->base_url());
    for (int i = 0; i < 10; ++i) {
        const auto response = run_awaitable(io_, client.get("/v1/public_key"));
        EXPECT_EQ(response.status, 200u);
        EXPECT_EQ(response.body, "\"" + std::string(64, 'a') + "\"");
        EXPECT_EQ(response.content_type, "application/json");
    }
    // One for the client's ten calls, one for the count itself.
    EXPECT_EQ(connections() - before, 2);
}

TEST_F(HttpClientTest, ResolvesHostNames) {
    HttpClient client(io_.get_executor(),
                      "http://localhost:" + std::to_string(server_->port()) + "/v1");
    EXPECT_EQ(run_awaitable(io_, client.get("/public_key")).status, 200u);
}

TEST_F(HttpClientTest, UnknownHostFailsWithinTheDeadline) {
    HttpClient client(io_.get_executor(), "http://no-such-host.invalid:2633/RPC2",
                      HttpClientOptions{.timeout = 1s});
    // (run_awaitable itself may wait for the abandoned lookup, up to its own bound.)
    EXPECT_THROW(run_awaitable(io_, client.get({}), 30s), Error);
}

TEST_F(HttpClientTest, PeerClosingAnIdleConnectionIsRetriedOnAFreshOne) {
    HttpClient client(io_.get_executor(), server_->base_url());
    const int closed_before = closes();
    EXPECT_EQ(run_awaitable(io_, client.get("/_test/close")).status, 200u);
    // The idle connection the client keeps has been closed by its peer (bounded wait).
    for (int asked = 0; asked < 500 && closes() == closed_before; ++asked) {
    }
    ASSERT_GT(closes(), closed_before);
    EXPECT_EQ(run_awaitable(io_, client.get("/v1/public_key")).status, 200u);
}

TEST_F(HttpClientTest, NotFoundIsAnAnswerNotAnError) {
    HttpClient client(io_.get_executor(), server_->base_url());
    EXPECT_EQ(run_awaitable(io_, client.get("/nowhere")).status, 404u);
}

TEST_F(HttpClientTest, OversizedAnswerIsRefused) {
    HttpClient client(io_.get_executor(), server_->base_url(),
                      HttpClientOptions{.max_response_bytes = 1000});
    EXPECT_EQ(run_awaitable(io_, client.get("/_test/big/500")).status, 200u);
    try {
        run_awaitable(io_, client.get("/_test/big/5000"));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Internal);
        EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
    }
}

TEST_F(HttpClientTest, SilentPeerHitsTheDeadline) {
    // A listener that accepts (by the kernel's backlog) and never answers.
    asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = silent.local_endpoint().port();
    HttpClient client(io_.get_executor(), "http://127.0.0.1:" + std::to_string(port),
                      HttpClientOptions{.timeout = 300ms});
    const auto started = std::chrono::steady_clock::now();
    try {
        run_awaitable(io_, client.get("/"));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(HttpClientTest, ManyConcurrentCallsOnSeveralThreads) {
    asio::thread_pool pool(2);
    HttpClient client(pool.get_executor(), server_->base_url(),
                      HttpClientOptions{.max_idle_connections = 4});
    std::vector<std::future<HttpResponse>> calls;
    for (int i = 0; i < 40; ++i)
        calls.push_back(
            asio::co_spawn(pool.get_executor(), client.get("/v1/public_key"), asio::use_future));
    for (auto& call : calls) {
        ASSERT_EQ(call.wait_for(20s), std::future_status::ready);
        EXPECT_EQ(call.get().status, 200u);
    }
    pool.join();
}

TEST(HttpClientUrl, RefusesWhatItCannotUse) {
    asio::io_context io;
    EXPECT_THROW(HttpClient(io.get_executor(), "not a url"), Error);
    EXPECT_THROW(HttpClient(io.get_executor(), "ftp://example.org"), Error);
    EXPECT_NO_THROW(HttpClient(io.get_executor(), "https://example.org"));
    EXPECT_THROW(HttpClient(io.get_executor(), "http://host:99999/"), Error);
    EXPECT_THROW(HttpClient(io.get_executor(), "http:///path"), Error);
    EXPECT_NO_THROW(HttpClient(io.get_executor(), "http://[::1]:2633/RPC2"));
}

}  // namespace
}  // namespace ecf::http_client
