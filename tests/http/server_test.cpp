// The server and the routes of contract §1, over a real socket on 127.0.0.1, with in-test fakes
// behind the execution service.
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "http/api_routes.hpp"
#include "http/docs_routes.hpp"
#include "http/health_routes.hpp"
#include "http/metrics_route.hpp"
#include "http/validation_error.hpp"
#include "observability/access_log.hpp"
#include "observability/service_metrics.hpp"

namespace ecf::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
namespace json = boost::json;
using asio::ip::tcp;

class FakeAuthorizer : public auth::TokenAuthorizer {
  public:
    asio::awaitable<Credentials> authorize(std::string_view token) override {
        if (token != "good") throw Error(ErrorKind::Unauthorized, "token does not verify");
        co_return Credentials{"alice", "secret"};
    }
};

class FakeDocuments : public documents::DocumentSource {
  public:
    asio::awaitable<documents::Document> fetch(const Credentials&, std::int64_t id) override {
        documents::Document document;
        document.id = id;
        document.type = id == 39 ? 1338 : 1339;
        document.template_values = {{"FLAVOUR", "Energy"}, {"LANG", "PY"}};
        co_return document;
    }
};

// Answers after `delay`, echoing the params. `reached` is told when the first execution gets
// here: a test waits for it rather than sleep until a request is in flight.
class FakeBroker : public broker::ExecutionBroker {
  public:
    std::chrono::milliseconds delay{0};
    std::optional<broker::ExecutionResult> answer;  // instead of the echo
    std::promise<void> reached;
    asio::awaitable<broker::ExecutionResult> execute(broker::ExecutionRequest request) override {
        if (!reached_told_.exchange(true)) reached.set_value();
        if (delay.count() > 0) {
            asio::steady_timer timer(co_await asio::this_coro::executor, delay);
            co_await timer.async_wait(asio::use_awaitable);
        }
        if (answer) co_return *answer;
        auto message = json::parse(request.body);
        co_return broker::ExecutionResult{
            200,
            json::object{
                {"ret_code", 0}, {"res", message.at("payload").at("params")}, {"err", nullptr}}};
    }

  private:
    std::atomic<bool> reached_told_{false};
};

struct Reply {
    unsigned status = 0;
    std::string body;
    beast_http::fields headers;
    json::value json() const { return json::parse(body); }
};

// Every test runs twice: on two I/O threads with a strand per connection, and on one I/O thread
// without strands (ServerOptions::io_threads = 1, what `ecf serve` runs on 2 cores).
class ServerTest : public ::testing::TestWithParam<unsigned> {
  protected:
    asio::io_context io;
    FakeAuthorizer authorizer;
    FakeDocuments documents;
    FakeBroker broker;
    execution::ExecutionService executions{
        authorizer, documents, broker, {}, [] { return std::string("id-1"); }};
    Router router;
    std::unique_ptr<Server> server;
    std::shared_ptr<observability::ServiceMetrics> metrics =
        std::make_shared<observability::ServiceMetrics>();
    std::vector<std::thread> threads;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

    void start(ServerOptions options = {}) {
        options.host = "127.0.0.1";
        options.port = 0;
        options.io_threads = GetParam();
        add_api_routes(router, executions, authorizer);
        add_docs_routes(router, {"Edge Cluster Frontend", "test"});
        add_metrics_route(router, metrics);
        auto logger = std::make_shared<spdlog::logger>(
            "test", std::make_shared<spdlog::sinks::null_sink_mt>());
        server = std::make_unique<Server>(
            io, options, router,
            std::vector<std::shared_ptr<const observability::RequestObserver>>{
                std::make_shared<observability::AccessLog>(logger), metrics},
            logger);
        server->start();
        work.emplace(io.get_executor());
        const unsigned count = options.io_threads == 1 ? 1 : 2;
        for (unsigned i = 0; i < count; ++i) threads.emplace_back([this] { io.run(); });
    }

    void TearDown() override {
        work.reset();
        io.stop();
        for (auto& thread : threads) thread.join();
    }

    tcp::socket connect() {
        tcp::socket socket(io);
        socket.connect(server->local_endpoint());
        return socket;
    }

    static Reply exchange(tcp::socket& socket,
                          beast_http::request<beast_http::string_body> request) {
        request.prepare_payload();
        beast_http::write(socket, request);
        beast::flat_buffer buffer;
        beast_http::response<beast_http::string_body> response;
        beast_http::read(socket, buffer, response);
        return {response.result_int(), response.body(), response.base()};
    }

    Reply send(beast_http::verb method, std::string target, std::string body = {},
               std::map<std::string, std::string> headers = {}) {
        auto socket = connect();
        beast_http::request<beast_http::string_body> request{method, target, 11};
        request.set(beast_http::field::host, "127.0.0.1");
        for (const auto& [name, value] : headers) request.set(name, value);
        request.body() = std::move(body);
        return exchange(socket, std::move(request));
    }

    Reply execute(std::string query, std::string body, bool with_token = true,
                  std::string path_id = "7") {
        std::map<std::string, std::string> headers;
        if (with_token) headers["token"] = "good";
        return send(beast_http::verb::post, "/v1/functions/" + path_id + "/execute" + query, body,
                    headers);
    }
};

TEST_P(ServerTest, ExecuteAnswersTheRuntimesMessage) {
    start();
    auto reply = execute("?app_req_id=39&mode=sync", R"(["gAVLAi4=","gAVLAy4="])");
    EXPECT_EQ(reply.status, 200u);
    EXPECT_EQ(reply.json(),
              json::parse(R"({"ret_code":0,"res":["gAVLAi4=","gAVLAy4="],"err":null})"));
    EXPECT_EQ(reply.headers["X-Request-Id"].size(), 32u);
    EXPECT_EQ(reply.headers[beast_http::field::content_type], "application/json");
}

// The error table, not a body of its own: a runtime that answers no HTTP status is a 502 with
// the `detail` every error has.
TEST_P(ServerTest, ARuntimeAnsweringNoStatusIs502WithDetail) {
    broker.answer = broker::ExecutionResult{42, json::string("odd")};
    start();
    auto reply = execute("?app_req_id=39&mode=sync", R"([])");
    EXPECT_EQ(reply.status, 502u);
    EXPECT_EQ(reply.json(),
              json::parse(R"({"detail":"Serverless Runtime answered an invalid code"})"));
    EXPECT_EQ(reply.headers[beast_http::field::content_type], "application/json");
}

TEST_P(ServerTest, MissingTokenIs400) {
    start();
    auto reply = execute("?app_req_id=39&mode=sync", R"([])", false);
    EXPECT_EQ(reply.status, 400u);
    EXPECT_EQ(reply.json(), json::parse(R"({"detail":"Missing token in header"})"));
}

TEST_P(ServerTest, BadTokenIs401) {
    start();
    auto reply = send(beast_http::verb::post, "/v1/functions/7/execute?app_req_id=39&mode=sync",
                      "[]", {{"token", "bad"}});
    EXPECT_EQ(reply.status, 401u);
    EXPECT_EQ(reply.json(), json::parse(R"({"detail":"token does not verify"})"));
}

TEST_P(ServerTest, MalformedRequestsAre422BeforeTheTokenIsLookedAt) {
    start();
    auto reply = execute("?mode=fast", R"(["a", 3])", false, "x");
    EXPECT_EQ(reply.status, 422u);
    const auto body = reply.json();
    const auto& detail = body.at("detail").as_array();
    ASSERT_EQ(detail.size(), 4u);
    EXPECT_EQ(detail[0].at("loc"), json::parse(R"(["path","id"])"));
    EXPECT_EQ(detail[1].at("loc"), json::parse(R"(["query","app_req_id"])"));
    EXPECT_EQ(detail[1].at("type"), "missing");
    EXPECT_EQ(detail[2].at("loc"), json::parse(R"(["query","mode"])"));
    EXPECT_EQ(detail[3].at("loc"), json::parse(R"(["body",1])"));

    EXPECT_EQ(execute("?app_req_id=39&mode=sync", "{not json").status, 422u);
    EXPECT_EQ(execute("?app_req_id=39&mode=sync", "").status, 422u);
    EXPECT_EQ(execute("?app_req_id=39&mode=sync", R"({"a":"b"})").status, 422u);
    EXPECT_EQ(execute("?app_req_id=1.5&mode=sync", "[]").status, 422u);
    EXPECT_EQ(execute("?app_req_id=99999999999999999999&mode=sync", "[]").status, 422u);
}

TEST_P(ServerTest, DeviceMetrics) {
    start();
    EXPECT_EQ(
        send(beast_http::verb::post, "/v1/device_metrics", R"({"cpu":1})", {{"token", "good"}})
            .status,
        200u);
    EXPECT_EQ(send(beast_http::verb::post, "/v1/device_metrics", R"({"cpu":1})").status, 400u);
    EXPECT_EQ(send(beast_http::verb::post, "/v1/device_metrics", R"({"cpu":1})", {{"token", "bad"}})
                  .status,
              401u);
    EXPECT_EQ(send(beast_http::verb::post, "/v1/device_metrics", "[1]", {{"token", "good"}}).status,
              422u);
}

TEST_P(ServerTest, UnknownRoutesAndMethods) {
    start();
    auto missing = send(beast_http::verb::get, "/nowhere");
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(missing.json(), json::parse(R"({"detail":"Not Found"})"));
    auto wrong = send(beast_http::verb::get, "/v1/functions/7/execute");
    EXPECT_EQ(wrong.status, 405u);
    EXPECT_EQ(wrong.json(), json::parse(R"({"detail":"Method Not Allowed"})"));
}

TEST_P(ServerTest, DocsAndOpenApi) {
    start();
    auto root = send(beast_http::verb::get, "/");
    EXPECT_EQ(root.status, 307u);
    EXPECT_EQ(root.headers[beast_http::field::location], "/docs");
    auto docs = send(beast_http::verb::get, "/docs");
    EXPECT_EQ(docs.status, 200u);
    EXPECT_NE(docs.body.find("/openapi.json"), std::string::npos);
    EXPECT_EQ(docs.body.find("http://"), std::string::npos);  // nothing from elsewhere
    auto openapi = send(beast_http::verb::get, "/openapi.json").json();
    EXPECT_EQ(openapi.at("openapi"), "3.1.0");
    EXPECT_TRUE(openapi.at("paths").at("/v1/functions/{id}/execute").as_object().contains("post"));
    EXPECT_TRUE(openapi.at("paths").at("/v1/device_metrics").as_object().contains("post"));
}

TEST_P(ServerTest, MetricsCountRequests) {
    start();
    send(beast_http::verb::get, "/nowhere");
    auto reply = send(beast_http::verb::get, "/metrics");
    EXPECT_EQ(reply.status, 200u);
    EXPECT_NE(reply.body.find("ecf_http_requests_total{method=\"GET\",status=\"404\"} 1"),
              std::string::npos)
        << reply.body;
    EXPECT_NE(reply.body.find("ecf_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_P(ServerTest, ClientRequestIdIsKeptWhenSane) {
    start();
    auto kept = send(beast_http::verb::get, "/docs", "", {{"X-Request-Id", "abc-123"}});
    EXPECT_EQ(kept.headers["X-Request-Id"], "abc-123");
    auto replaced = send(beast_http::verb::get, "/docs", "", {{"X-Request-Id", "a b<script>"}});
    EXPECT_EQ(replaced.headers["X-Request-Id"].size(), 32u);
}

TEST_P(ServerTest, KeepAliveServesSeveralRequests) {
    start();
    auto socket = connect();
    for (int i = 0; i < 3; ++i) {
        beast_http::request<beast_http::string_body> request{beast_http::verb::get, "/docs", 11};
        EXPECT_EQ(exchange(socket, request).status, 200u);
    }
}

// The execute route drops its request's header fields while the execution waits (memory per
// waiting execution): what the answer needs of them, keep-alive and the client's request id,
// is kept all the same.
TEST_P(ServerTest, AnExecutionAnswersKeepAliveAsAskedThoughItDropsItsHeaders) {
    start();
    auto socket = connect();
    for (int i = 0; i < 2; ++i) {
        beast_http::request<beast_http::string_body> request{
            beast_http::verb::post, "/v1/functions/7/execute?app_req_id=39&mode=sync", 10};
        request.set("token", "good");
        request.set(beast_http::field::connection, "keep-alive");
        request.set("X-Request-Id", "kept-" + std::to_string(i));
        request.body() = R"(["gAVLAi4="])";
        auto reply = exchange(socket, std::move(request));
        EXPECT_EQ(reply.status, 200u);
        EXPECT_EQ(reply.headers[beast_http::field::connection], "keep-alive");
        EXPECT_EQ(reply.headers["X-Request-Id"], "kept-" + std::to_string(i));
    }
    beast_http::request<beast_http::string_body> request{
        beast_http::verb::post, "/v1/functions/7/execute?app_req_id=39&mode=sync", 11};
    request.set("token", "good");
    request.set(beast_http::field::connection, "close");
    request.body() = "[]";
    auto reply = exchange(socket, std::move(request));
    EXPECT_EQ(reply.status, 200u);
    EXPECT_EQ(reply.headers[beast_http::field::connection], "close");
}

TEST_P(ServerTest, TooLargeBodyIs413) {
    ServerOptions options;
    options.max_body_bytes = 100;
    start(options);
    auto reply = execute("?app_req_id=39&mode=sync", "[\"" + std::string(200, 'a') + "\"]");
    EXPECT_EQ(reply.status, 413u);
}

TEST_P(ServerTest, GarbageIs400) {
    start();
    auto socket = connect();
    asio::write(socket, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
    beast::flat_buffer buffer;
    beast_http::response<beast_http::string_body> response;
    beast_http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), 400u);
}

// True when the server closes `socket` within `limit` (a read sees end of stream or a reset).
bool closed_within(tcp::socket& socket, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    socket.non_blocking(true);
    char byte;
    while (std::chrono::steady_clock::now() < deadline) {
        boost::system::error_code ec;
        socket.read_some(asio::buffer(&byte, 1), ec);
        if (ec && ec != asio::error::would_block) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

TEST_P(ServerTest, AHeaderThatNeverEndsIsCutOffAtTheHeaderTimeout) {
    ServerOptions options;
    options.header_timeout = std::chrono::milliseconds(300);
    start(options);
    auto socket = connect();
    asio::write(socket,
                asio::buffer(std::string("POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\n")));
    EXPECT_TRUE(closed_within(socket, std::chrono::seconds(5)));
}

TEST_P(ServerTest, ABodyThatNeverComesIsCutOffAtTheHeaderTimeout) {
    ServerOptions options;
    options.header_timeout = std::chrono::milliseconds(300);
    start(options);
    auto socket = connect();
    asio::write(socket, asio::buffer(std::string(
                            "POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
                            "100\r\n\r\n{")));
    EXPECT_TRUE(closed_within(socket, std::chrono::seconds(5)));
}

TEST_P(ServerTest, IdleKeptAliveConnectionsAreClosedAtTheIdleTimeout) {
    ServerOptions options;
    options.idle_timeout = std::chrono::milliseconds(300);
    start(options);
    auto socket = connect();
    beast_http::request<beast_http::string_body> request{beast_http::verb::get, "/docs", 11};
    EXPECT_EQ(exchange(socket, request).status, 200u);
    EXPECT_TRUE(closed_within(socket, std::chrono::seconds(5)));
}

TEST_P(ServerTest, ConnectionsBeyondTheLimitAreRefused) {
    ServerOptions options;
    options.max_connections = 1;
    start(options);
    auto first = connect();
    // Let the server count the first connection before the second arrives.
    for (int i = 0; i < 100 && server->connections() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto second = send(beast_http::verb::get, "/docs");
    EXPECT_EQ(second.status, 503u);
}

TEST_P(ServerTest, ARequestArrivingWhileDrainingGets503) {
    broker.delay = std::chrono::milliseconds(500);
    start();
    auto idle = connect();
    beast_http::request<beast_http::string_body> request{beast_http::verb::get, "/docs", 11};
    ASSERT_EQ(exchange(idle, request).status, 200u);
    auto reached = broker.reached.get_future();
    auto pending = std::async(std::launch::async,
                              [this] { return execute("?app_req_id=39&mode=sync", R"(["x"])"); });
    ASSERT_EQ(reached.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    server->shutdown([] {});
    auto refused = exchange(idle, request);
    EXPECT_EQ(refused.status, 503u);
    EXPECT_EQ(refused.headers[beast_http::field::connection], "close");
    EXPECT_EQ(pending.get().status, 200u);
}

TEST_P(ServerTest, ShutdownLetsRequestsInFlightFinish) {
    broker.delay = std::chrono::milliseconds(300);
    start();
    const auto endpoint = server->local_endpoint();
    auto reached = broker.reached.get_future();
    auto pending = std::async(std::launch::async,
                              [this] { return execute("?app_req_id=39&mode=sync", R"(["x"])"); });
    ASSERT_EQ(reached.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    std::promise<void> drained;
    server->shutdown([&drained] { drained.set_value(); });
    auto reply = pending.get();
    EXPECT_EQ(reply.status, 200u);
    EXPECT_EQ(reply.headers[beast_http::field::connection], "close");
    EXPECT_EQ(drained.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
    // No longer accepting.
    tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(endpoint, ec);
    EXPECT_TRUE(ec);
}

// Sends raw bytes on a new connection and reads one response.
Reply raw_exchange(tcp::socket socket, const std::string& bytes) {
    asio::write(socket, asio::buffer(bytes));
    beast::flat_buffer buffer;
    beast_http::response<beast_http::string_body> response;
    beast_http::read(socket, buffer, response);
    return {response.result_int(), response.body(), response.base()};
}

TEST_P(ServerTest, AMillionBadElementsGetASmall422) {
    start();
    std::string body = "[0";
    for (int i = 1; i < 1'000'000; ++i) body += ",0";
    body += "]";
    auto reply = execute("?app_req_id=39&mode=sync", body, false);
    EXPECT_EQ(reply.status, 422u);
    EXPECT_LT(reply.body.size(), 4096u) << reply.body.substr(0, 200);
    EXPECT_NE(reply.body.find("more than 10000 values"), std::string::npos) << reply.body;
}

TEST_P(ServerTest, ManyBadElementsWithinTheLimitsListAFewProblems) {
    start();
    std::string body = "[0";
    for (int i = 1; i < 5'000; ++i) body += ",0";
    body += "]";
    auto reply = execute("?app_req_id=39&mode=sync", body, false);
    EXPECT_EQ(reply.status, 422u);
    EXPECT_EQ(reply.json().at("detail").as_array().size(), ValidationProblems::kMaxProblems);
}

TEST_P(ServerTest, JsonTooDeepIs422) {
    start();
    const std::string body = std::string(100, '[') + std::string(100, ']');
    auto reply = send(beast_http::verb::post, "/v1/device_metrics", body, {{"token", "good"}});
    EXPECT_EQ(reply.status, 422u);
    EXPECT_NE(reply.body.find("nested deeper than 32"), std::string::npos) << reply.body;
}

TEST_P(ServerTest, SmallRoutesTakeTheSmallBodyLimit) {
    ServerOptions options;
    options.max_small_body_bytes = 1000;
    start(options);
    const std::string big = R"({"a":")" + std::string(2000, 'x') + R"("})";
    auto reply = send(beast_http::verb::post, "/v1/device_metrics", big, {{"token", "good"}});
    EXPECT_EQ(reply.status, 413u);
    EXPECT_EQ(reply.json(), json::parse(R"({"detail":"Request body too large"})"));
    // A chunked body is held to the same limit.
    std::string chunked =
        "POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\ntoken: good\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "1f4\r\n" + std::string(500, ' ') + "\r\n";
    chunked += "0\r\n\r\n";
    EXPECT_EQ(raw_exchange(connect(), chunked).status, 413u);
    // Executions keep the large limit.
    auto execution = execute("?app_req_id=39&mode=sync", "[\"" + std::string(2000, 'a') + "\"]");
    EXPECT_EQ(execution.status, 200u);
}

TEST_P(ServerTest, TransferCodingsOtherThanChunkedAre501AndClose) {
    start();
    auto reply =
        raw_exchange(connect(),
                     "POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\ntoken: good\r\n"
                     "Transfer-Encoding: gzip, chunked\r\n\r\n9\r\n{\"cpu\":1}\r\n0\r\n\r\n");
    EXPECT_EQ(reply.status, 501u);
    EXPECT_EQ(reply.headers[beast_http::field::connection], "close");
    EXPECT_TRUE(reply.json().at("detail").is_string());
    // Plain chunked is read as before.
    auto plain = raw_exchange(connect(),
                              "POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\ntoken: good\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n9\r\n{\"cpu\":1}\r\n0\r\n\r\n");
    EXPECT_EQ(plain.status, 200u);
}

TEST_P(ServerTest, ALongChunkExtensionIs400) {
    start();
    auto reply = raw_exchange(connect(),
                              "POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\n"
                              "token: good\r\nTransfer-Encoding: chunked\r\n\r\n9;a=" +
                                  std::string(5000, 'b') + "\r\n{\"cpu\":1}\r\n0\r\n\r\n");
    EXPECT_EQ(reply.status, 400u);
    EXPECT_EQ(reply.headers[beast_http::field::connection], "close");
}

TEST_P(ServerTest, AHeaderOverTheLimitIs431) {
    ServerOptions options;
    options.max_header_bytes = 1024;
    start(options);
    auto reply = send(beast_http::verb::get, "/docs", "", {{"X-Big", std::string(4000, 'a')}});
    EXPECT_EQ(reply.status, 431u);
    EXPECT_EQ(reply.json(), json::parse(R"({"detail":"Request header too large"})"));
}

TEST_P(ServerTest, ConnectionsBeyondThePerAddressLimitGet429) {
    ServerOptions options;
    options.max_connections_per_address = 2;
    start(options);
    auto first = connect();
    auto second = connect();
    for (int i = 0; i < 100 && server->connections() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto third = send(beast_http::verb::get, "/docs");
    EXPECT_EQ(third.status, 429u);
    EXPECT_EQ(third.headers[beast_http::field::retry_after], "1");
    // Another address is served (all of 127.0.0.0/8 is loopback on Linux).
    tcp::socket other(io);
    other.open(tcp::v4());
    other.bind({asio::ip::make_address("127.0.0.2"), 0});
    other.connect(server->local_endpoint());
    beast_http::request<beast_http::string_body> request{beast_http::verb::get, "/docs", 11};
    EXPECT_EQ(exchange(other, request).status, 200u);
    // A closed connection gives its place back.
    first.close();
    bool served = false;
    for (int i = 0; i < 100 && !served; ++i) {
        served = send(beast_http::verb::get, "/docs").status == 200u;
        if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(served);
}

TEST_P(ServerTest, HealthAndReadiness) {
    std::atomic<bool> broker_up{true};
    std::atomic<bool> draining{false};
    add_health_routes(router, {[] { return true; }, [&broker_up] { return broker_up.load(); },
                               [&draining] { return draining.load(); }});
    start();
    auto health = send(beast_http::verb::get, "/healthz");
    EXPECT_EQ(health.status, 200u);
    EXPECT_EQ(health.json(), json::parse(R"({"status":"ok"})"));
    EXPECT_EQ(send(beast_http::verb::get, "/readyz").status, 200u);
    broker_up = false;
    auto down = send(beast_http::verb::get, "/readyz");
    EXPECT_EQ(down.status, 503u);
    EXPECT_EQ(down.json(), json::parse(R"({"detail":"Not ready: broker not connected"})"));
    broker_up = true;
    draining = true;
    EXPECT_EQ(send(beast_http::verb::get, "/readyz").json(),
              json::parse(R"({"detail":"Not ready: draining"})"));
    EXPECT_EQ(send(beast_http::verb::get, "/healthz").status, 200u);
}

INSTANTIATE_TEST_SUITE_P(IoThreads, ServerTest, ::testing::Values(0u, 1u),
                         [](const ::testing::TestParamInfo<unsigned>& info) {
                             return info.param == 1 ? std::string("OneThreadNoStrand")
                                                    : std::string("Strands");
                         });

}  // namespace
}  // namespace ecf::http
