#include "runtime/forward_executor.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "core/error.hpp"
#include "runtime/exec_response.hpp"
#include "sr_http_api_double.hpp"

namespace ecf::runtime {
namespace {

using namespace std::chrono_literals;
using testing::SrHttpApiDouble;
namespace json = boost::json;

// cloudpickle of `lambda a, b: a * b`-like payloads are made by the pytest suite; here the
// double's echo mode shows what was sent, and its ok mode runs a real pickled function.
const json::value kPayload = json::parse(
    R"({"lang":"PY","fc":"gAVLAi4=","fc_hash":"h","params":["gAVLAi4="],"app_req_id":39})");

TEST(ForwardExecutor, PostsThePayloadAsJsonToExecuteSync) {
    SrHttpApiDouble sr({"--mode", "echo"});
    ForwardExecutor executor(sr.url(), 10s);
    const auto result = executor.execute(kPayload);
    ASSERT_EQ(result.code, 200) << json::serialize(result.message);
    EXPECT_EQ(result.message.at("ret_code").as_int64(), 0);
    const auto seen = json::parse(result.message.at("res").as_string());
    EXPECT_EQ(seen.at("path").as_string(), "/v1/faas/execute-sync");
    EXPECT_EQ(seen.at("content_type").as_string(), "application/json");
    EXPECT_EQ(json::parse(seen.at("body").as_string()), kPayload);
}

TEST(ForwardExecutor, KeepsAPathPrefixOfTheUrl) {
    SrHttpApiDouble sr({"--mode", "echo"});
    ForwardExecutor executor(sr.url() + "/", 10s);
    EXPECT_EQ(executor.execute(kPayload).code, 200);
    ForwardExecutor prefixed(sr.url() + "/prefix", 10s);
    EXPECT_EQ(prefixed.execute(kPayload).code, 404);  // the double only serves the bare path
}

TEST(ForwardExecutor, AnswersTheSrsExecResponse) {
    SrHttpApiDouble sr({"--mode", "ok"});
    ForwardExecutor executor(sr.url(), 10s);
    // `fc` is no pickled function here: the SR answers 200 with ret_code -1.
    const auto result = executor.execute(kPayload);
    EXPECT_EQ(result.code, 200);
    EXPECT_EQ(result.message.at("ret_code").as_int64(), -1);
    EXPECT_EQ(result.message.at("res").as_string(), kPickledNone);
    EXPECT_EQ(result.message.at("err").as_string(), "Not callable function");
}

TEST(ForwardExecutor, PassesAnErrorStatusAndBodyOn) {
    SrHttpApiDouble sr({"--mode", "error", "--status", "422"});
    ForwardExecutor executor(sr.url(), 10s);
    const auto result = executor.execute(kPayload);
    EXPECT_EQ(result.code, 422);
    EXPECT_TRUE(result.message.at("detail").is_string());
}

TEST(ForwardExecutor, ASlowSrIsA504AtTheTimeLimit) {
    SrHttpApiDouble sr({"--mode", "slow", "--delay", "5"});
    ForwardExecutor executor(sr.url(), 300ms);
    const auto start = std::chrono::steady_clock::now();
    const auto result = executor.execute(kPayload);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_EQ(result.code, 504);
    EXPECT_TRUE(result.message.is_string());
}

TEST(ForwardExecutor, ABodyThatIsNotJsonIsA500) {
    SrHttpApiDouble sr({"--mode", "garbage"});
    ForwardExecutor executor(sr.url(), 10s);
    const auto result = executor.execute(kPayload);
    EXPECT_EQ(result.code, 500);
    EXPECT_NE(std::string(result.message.as_string()).find("not JSON"), std::string::npos);
}

TEST(ForwardExecutor, A200ThatIsNotAnExecResponseIsA500) {
    SrHttpApiDouble sr({"--mode", "not-exec"});
    ForwardExecutor executor(sr.url(), 10s);
    EXPECT_EQ(executor.execute(kPayload).code, 500);
}

TEST(ForwardExecutor, AnAnswerOverTheSizeLimitIsA500) {
    SrHttpApiDouble sr({"--mode", "echo"});
    ForwardExecutor executor(sr.url(), 10s, 64);
    const auto result = executor.execute(kPayload);
    EXPECT_EQ(result.code, 500);
    EXPECT_NE(std::string(result.message.as_string()).find("exceeds 64 bytes"), std::string::npos);
}

TEST(ForwardExecutor, AnUnreachableSrIsA500) {
    int port;
    {
        SrHttpApiDouble sr({"--mode", "ok"});
        port = sr.port();
    }  // stopped: nothing listens on the port any more
    ForwardExecutor executor("http://127.0.0.1:" + std::to_string(port), 2s);
    const auto result = executor.execute(kPayload);
    EXPECT_EQ(result.code, 500);
    EXPECT_NE(std::string(result.message.as_string()).find("unreachable"), std::string::npos);
}

TEST(ForwardExecutor, RefusesAUrlThatIsNotHttp) {
    EXPECT_THROW(ForwardExecutor("https://127.0.0.1:8000", 1s), ecf::Error);
    EXPECT_THROW(ForwardExecutor("127.0.0.1:8000", 1s), ecf::Error);
    EXPECT_THROW(ForwardExecutor("http://", 1s), ecf::Error);
}

}  // namespace
}  // namespace ecf::runtime
