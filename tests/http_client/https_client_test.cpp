// HttpClient over https:// against the COGNIT frontend double serving TLS with certificates of a
// private CA made at test time (tests/harness/test_certificates.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "core/error.hpp"
#include "documents/python_double.hpp"
#include "documents/run_awaitable.hpp"
#include "http_client/http_client.hpp"

namespace ecf::http_client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::run_awaitable;

const std::string kKey(64, 'a');

class HttpsClientTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        certificates_ = "/tmp/ecf-https-client-test-" + std::to_string(::getpid());
        const std::string command = std::string("/usr/bin/python3 ") + ECF_SOURCE_DIR +
                                    "/tests/harness/test_certificates.py " + certificates_;
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
        server_ = std::make_unique<testing::PythonDouble>(
            "cognit_frontend.py",
            std::vector<std::string>{"--key", kKey, "--tls-cert", file("server.pem"), "--tls-key",
                                     file("server.key")});
    }
    static void TearDownTestSuite() {
        server_.reset();
        std::filesystem::remove_all(certificates_);
    }

    static std::string file(const std::string& name) { return certificates_ + "/" + name; }
    static std::string url(const std::string& host, unsigned short port) {
        return "https://" + host + ":" + std::to_string(port);
    }
    static HttpClientOptions trusting(const std::string& ca) {
        HttpClientOptions options;
        options.timeout = 5s;
        options.tls.ca_file = file(ca);
        return options;
    }

    // The call's error message; fails the test when the call succeeds.
    std::string error_of(HttpClient& client) {
        try {
            run_awaitable(io_, client.get("/v1/public_key"));
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Internal);
            return e.what();
        }
        ADD_FAILURE() << "the call succeeded";
        return {};
    }

    asio::io_context io_;
    static inline std::string certificates_;
    static inline std::unique_ptr<testing::PythonDouble> server_;
};

TEST_F(HttpsClientTest, PrivateCaIsTrustedByAddressAndByNameAndConnectionsAreReused) {
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        HttpClient client(io_.get_executor(), url(host, server_->port()), trusting("ca.pem"));
        for (int i = 0; i < 5; ++i) {
            const auto response = run_awaitable(io_, client.get("/v1/public_key"));
            EXPECT_EQ(response.status, 200u);
            EXPECT_EQ(response.body, "\"" + kKey + "\"");
        }
        const auto count = [&] {
            const auto body = run_awaitable(io_, client.get("/_test/connections")).body;
            return std::stoi(body.substr(body.find(':') + 1));
        };
        const int before = count();
        for (int i = 0; i < 5; ++i) run_awaitable(io_, client.get("/v1/public_key"));
        EXPECT_EQ(count(), before) << "a pooled TLS connection was not reused";
    }
}

TEST_F(HttpsClientTest, PeerClosingAnIdleTlsConnectionIsRetriedOnAFreshOne) {
    HttpClient client(io_.get_executor(), url("localhost", server_->port()), trusting("ca.pem"));
    EXPECT_EQ(run_awaitable(io_, client.get("/_test/close")).status, 200u);
    // Whether the close has arrived or not, the next call gets its answer (a fresh connection).
    EXPECT_EQ(run_awaitable(io_, client.get("/v1/public_key")).status, 200u);
}

TEST_F(HttpsClientTest, ManyConcurrentCallsOnSeveralThreads) {
    asio::thread_pool pool(2);
    auto options = trusting("ca.pem");
    options.max_idle_connections = 4;
    // 40 handshakes against one Python server on a shared 2-core machine (CTest runs suites in
    // parallel, ASan slows them tenfold): this test is about correctness across threads, so the
    // deadline is generous rather than a hidden speed assertion.
    options.timeout = 60s;
    HttpClient client(pool.get_executor(), url("localhost", server_->port()), options);
    std::vector<std::future<HttpResponse>> calls;
    for (int i = 0; i < 40; ++i)
        calls.push_back(
            asio::co_spawn(pool.get_executor(), client.get("/v1/public_key"), asio::use_future));
    for (auto& call : calls) {
        ASSERT_EQ(call.wait_for(90s), std::future_status::ready);
        EXPECT_EQ(call.get().status, 200u);
    }
    pool.join();
}

TEST_F(HttpsClientTest, UnknownCaIsRefusedWithTheReason) {
    HttpClient client(io_.get_executor(), url("127.0.0.1", server_->port()),
                      trusting("other-ca.pem"));
    const auto message = error_of(client);
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1:"), std::string::npos) << message;
}

TEST_F(HttpsClientTest, SystemStoreDoesNotTrustAPrivateCa) {
    HttpClientOptions options;
    options.timeout = 5s;  // no ca_file: the system's store
    HttpClient client(io_.get_executor(), url("localhost", server_->port()), options);
    const auto message = error_of(client);
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
}

TEST_F(HttpsClientTest, CertificateForAnotherNameIsRefused) {
    testing::PythonDouble elsewhere(
        "cognit_frontend.py",
        {"--key", kKey, "--tls-cert", file("elsewhere.pem"), "--tls-key", file("elsewhere.key")});
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        HttpClient client(io_.get_executor(), url(host, elsewhere.port()), trusting("ca.pem"));
        const auto message = error_of(client);
        EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
        EXPECT_NE(message.find("mismatch"), std::string::npos) << message;
    }
}

TEST_F(HttpsClientTest, ClientCertificateIsSentWhenConfigured) {
    testing::PythonDouble strict("cognit_frontend.py",
                                 {"--key", kKey, "--tls-cert", file("server.pem"), "--tls-key",
                                  file("server.key"), "--tls-client-ca", file("ca.pem")});
    HttpClient anonymous(io_.get_executor(), url("localhost", strict.port()), trusting("ca.pem"));
    error_of(anonymous);
    auto options = trusting("ca.pem");
    options.tls.certificate_file = file("client.pem");
    options.tls.key_file = file("client.key");
    HttpClient identified(io_.get_executor(), url("localhost", strict.port()), options);
    EXPECT_EQ(run_awaitable(io_, identified.get("/v1/public_key")).status, 200u);
}

TEST_F(HttpsClientTest, FilesThatCannotBeLoadedAreRefusedAtConstruction) {
    const auto endpoint = url("localhost", server_->port());
    auto missing_ca = trusting("no-such-ca.pem");
    EXPECT_THROW(HttpClient(io_.get_executor(), endpoint, missing_ca), Error);
    auto half_identity = trusting("ca.pem");
    half_identity.tls.certificate_file = file("client.pem");
    EXPECT_THROW(HttpClient(io_.get_executor(), endpoint, half_identity), Error);
    auto not_a_key = trusting("ca.pem");
    not_a_key.tls.certificate_file = file("client.pem");
    not_a_key.tls.key_file = file("ca.pem");
    try {
        HttpClient client(io_.get_executor(), endpoint, not_a_key);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("client key"), std::string::npos) << e.what();
    }
}

TEST_F(HttpsClientTest, SilentPeerHitsTheDeadlineDuringTheHandshake) {
    asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
    auto options = trusting("ca.pem");
    options.timeout = 300ms;
    HttpClient client(io_.get_executor(), url("127.0.0.1", silent.local_endpoint().port()),
                      options);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_NE(error_of(client).find("timed out"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(HttpsClientTest, CallerCancellingACallEndsItAtOnce) {
    using namespace asio::experimental::awaitable_operators;
    asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
    auto options = trusting("ca.pem");
    options.timeout = 30s;
    HttpClient client(io_.get_executor(), url("127.0.0.1", silent.local_endpoint().port()),
                      options);
    const auto started = std::chrono::steady_clock::now();
    const auto winner = run_awaitable(io_, [&]() -> asio::awaitable<std::size_t> {
        asio::steady_timer caller_deadline(co_await asio::this_coro::executor, 200ms);
        const auto result =
            co_await (client.get("/") || caller_deadline.async_wait(asio::use_awaitable));
        co_return result.index();
    }());
    EXPECT_EQ(winner, 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    // The client is still usable afterwards.
    HttpClient good(io_.get_executor(), url("localhost", server_->port()), trusting("ca.pem"));
    EXPECT_EQ(run_awaitable(io_, good.get("/v1/public_key")).status, 200u);
}

}  // namespace
}  // namespace ecf::http_client
