#include "runtime/process_executor.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "runtime/exec_response.hpp"

namespace ecf::runtime {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const json::value kPayload = json::parse(
    R"({"lang":"PY","fc":"gAVLAi4=","fc_hash":"h","params":["gAVLAi4="],"app_req_id":39})");

broker::ExecutionResult run(const std::string& command, ProcessLimits limits = {},
                            const json::value& payload = kPayload) {
    ProcessExecutor executor(command, limits);
    return executor.execute(payload);
}

std::string err_of(const broker::ExecutionResult& result) {
    return std::string(result.message.at("err").as_string());
}

void expect_failed(const broker::ExecutionResult& result, const std::string& reason_part) {
    EXPECT_EQ(result.code, 200);
    ASSERT_TRUE(result.message.is_object()) << json::serialize(result.message);
    EXPECT_EQ(result.message.at("ret_code").as_int64(), -1);
    EXPECT_EQ(result.message.at("res").as_string(), kPickledNone);
    EXPECT_NE(err_of(result).find(reason_part), std::string::npos) << err_of(result);
}

TEST(ProcessExecutor, AnswersTheExecResponseTheCommandPrints) {
    const auto result =
        run(R"(cat >/dev/null; printf '{"ret_code": 0, "res": "gAVLGC4=", "err": null}\n')");
    EXPECT_EQ(result.code, 200);
    EXPECT_EQ(result.message, json::parse(R"({"ret_code":0,"res":"gAVLGC4=","err":null})"));
}

TEST(ProcessExecutor, GivesThePayloadOnStdinOnly) {
    // The command sees the payload as JSON on stdin and echoes one field back.
    const auto result = run(
        R"(/usr/bin/python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({"ret_code":0,"res":p["fc"]+str(p["app_req_id"]),"err":None}))')");
    EXPECT_EQ(result.code, 200);
    EXPECT_EQ(result.message.at("res").as_string(), "gAVLAi4=39");
}

TEST(ProcessExecutor, PayloadContentNeverReachesTheShell) {
    const std::string marker = "/tmp/ecf-runtime-injection-" + std::to_string(::getpid());
    std::remove(marker.c_str());
    const json::value hostile = {
        {"lang", "PY"},
        {"fc", "$(touch " + marker + ")"},
        {"params", json::array{"`touch " + marker + "`; touch " + marker}}};
    const auto result =
        run(R"(cat >/dev/null; echo '{"ret_code":0,"res":null,"err":null}')", {}, hostile);
    EXPECT_EQ(result.code, 200);
    EXPECT_FALSE(std::ifstream(marker).good());
}

TEST(ProcessExecutor, NonZeroExitIsAFailedExecutionWithItsStderr) {
    const auto result = run("cat >/dev/null; echo 'something broke' >&2; exit 3");
    expect_failed(result, "exited with status 3");
    EXPECT_NE(err_of(result).find("something broke"), std::string::npos);
}

TEST(ProcessExecutor, ASignalIsAFailedExecution) {
    expect_failed(run("kill -9 $$"), "signal 9");
}

TEST(ProcessExecutor, ACommandPastItsTimeLimitIsKilledWithItsChildren) {
    const std::string pid_file = "/tmp/ecf-runtime-grandchild-" + std::to_string(::getpid());
    const auto start = std::chrono::steady_clock::now();
    const auto result =
        run("sleep 30 & echo $! > " + pid_file + "; wait", ProcessLimits{.time_limit = 300ms});
    const auto took = std::chrono::steady_clock::now() - start;
    expect_failed(result, "time limit of 0.3 s");
    EXPECT_LT(took, 5s);

    // The background `sleep` shared the command's process group, so it is gone too (or a
    // zombie waiting for init to reap it).
    pid_t grandchild = 0;
    std::ifstream(pid_file) >> grandchild;
    std::remove(pid_file.c_str());
    ASSERT_GT(grandchild, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
        std::string pid, name, state;
        gone = !(stat >> pid >> name >> state) || state == "Z";
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone);
}

TEST(ProcessExecutor, ACommandThatClosesItsOutputButRunsOnIsStillTimedOut) {
    const auto result = run("exec >&- 2>&-; sleep 30", ProcessLimits{.time_limit = 300ms});
    expect_failed(result, "time limit");
}

TEST(ProcessExecutor, OutputThatIsNotJsonIsAFailedExecution) {
    expect_failed(run("cat >/dev/null; echo 'Traceback: not json'"), "not JSON");
}

TEST(ProcessExecutor, JsonThatIsNotAnExecResponseIsAFailedExecution) {
    expect_failed(run(R"(cat >/dev/null; echo '{"ret_code": "zero"}')"), "not an ExecResponse");
    expect_failed(run(R"(cat >/dev/null; echo '[1, 2]')"), "not an ExecResponse");
    expect_failed(run(R"(cat >/dev/null; echo '{"ret_code": 0, "res": 5}')"),
                  "not an ExecResponse");
}

TEST(ProcessExecutor, TooMuchOutputIsCutOffAndAFailedExecution) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = run("head -c 100000000 /dev/zero",
                            ProcessLimits{.time_limit = 20s, .max_output_bytes = 1 << 20});
    expect_failed(result, "exceeds 1048576 bytes");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(ProcessExecutor, ACommandThatIgnoresALargePayloadDoesNotHurtTheWorker) {
    // The command exits without reading stdin: writing the rest of the payload meets a closed
    // pipe, which must not raise SIGPIPE in the worker.
    json::value big = kPayload;
    big.as_object()["params"] = json::array{std::string(4 << 20, 'A')};
    const auto result =
        run(R"(exec 0<&-; echo '{"ret_code":0,"res":"gAVLGC4=","err":null}')", {}, big);
    EXPECT_EQ(result.code, 200);
    EXPECT_EQ(result.message.at("ret_code").as_int64(), 0);
}

TEST(ProcessExecutor, LargePayloadAndLargeAnswerDoNotDeadlock) {
    json::value big = kPayload;
    big.as_object()["fc"] = std::string(3 << 20, 'B');
    const auto result = run(
        R"(/usr/bin/python3 -c 'import json,sys; p=json.load(sys.stdin); sys.stdout.write(json.dumps({"ret_code":0,"res":p["fc"],"err":None}))')",
        ProcessLimits{.time_limit = 30s}, big);
    EXPECT_EQ(result.code, 200);
    EXPECT_EQ(result.message.at("res").as_string().size(), std::size_t{3} << 20);
}

TEST(ProcessExecutor, AMissingCommandIsAFailedExecution) {
    expect_failed(run("/nonexistent/executor"), "exited with status 127");
}

}  // namespace
}  // namespace ecf::runtime
