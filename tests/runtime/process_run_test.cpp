#include "runtime/process_run.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>

namespace ecf::runtime {
namespace {

using namespace std::chrono_literals;
using Ending = ProcessOutcome::Ending;

ProcessOutcome shell(const std::string& script, std::string_view input = {},
                     ProcessLimits limits = {}) {
    return run_process({"/bin/sh", "-c", script}, input, limits);
}

TEST(ProcessRun, CollectsOutputAndExitStatus) {
    const auto outcome = shell("cat; echo err >&2; exit 7", "hello ");
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(outcome.status, 7);
    EXPECT_EQ(outcome.output, "hello ");
    EXPECT_EQ(outcome.diagnostics, "err\n");
}

TEST(ProcessRun, EmptyInputIsAnImmediateEndOfFile) {
    const auto outcome = shell("wc -c", "", ProcessLimits{.time_limit = 5s});
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(std::stoi(outcome.output), 0);
}

TEST(ProcessRun, KeepsOnlyTheTailOfStderr) {
    const auto outcome = shell("head -c 100000 /dev/zero | tr '\\0' a >&2; echo -n END >&2", "",
                               ProcessLimits{.max_diagnostic_bytes = 100});
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(outcome.diagnostics.size(), 100u);
    EXPECT_TRUE(outcome.diagnostics.ends_with("aaEND"));
}

TEST(ProcessRun, OutputExactlyAtTheLimitIsAccepted) {
    const auto outcome =
        shell("head -c 1000 /dev/zero", "", ProcessLimits{.max_output_bytes = 1000});
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(outcome.output.size(), 1000u);
    const auto over = shell("head -c 1001 /dev/zero", "", ProcessLimits{.max_output_bytes = 1000});
    EXPECT_EQ(over.ending, Ending::OutputTooLarge);
}

TEST(ProcessRun, ReportsTheSignalThatEndedIt) {
    const auto outcome = shell("kill -TERM $$");
    EXPECT_EQ(outcome.ending, Ending::Signalled);
    EXPECT_EQ(outcome.status, 15);
}

TEST(ProcessRun, TimesOut) {
    const auto start = std::chrono::steady_clock::now();
    const auto outcome = shell("sleep 20", "", ProcessLimits{.time_limit = 200ms});
    EXPECT_EQ(outcome.ending, Ending::TimedOut);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ProcessRun, TheCommandSeesOnlyTheEnvironmentItIsGiven) {
    ::setenv("ECF_TEST_BROKER_SECRET", "amqp://guest:s3cret@127.0.0.1", 1);
    const auto outcome = shell("env", "", ProcessLimits{.environment = {"PATH=/usr/bin:/bin"}});
    ::unsetenv("ECF_TEST_BROKER_SECRET");
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(outcome.output.find("s3cret"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("PATH=/usr/bin:/bin"), std::string::npos) << outcome.output;
}

TEST(ProcessRun, TheCommandInheritsNoDescriptorButItsPipes) {
    // Not close-on-exec, as rabbitmq-c's socket is not: the command must still not get it.
    const int inherited = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(inherited, 3);
    const auto outcome = shell("ls /proc/$$/fd");
    ::close(inherited);
    EXPECT_EQ(outcome.ending, Ending::Exited);
    std::istringstream listed(outcome.output);
    std::string fd;
    while (listed >> fd) EXPECT_LE(std::stoi(fd), 2) << outcome.output;
}

// The value of one line of /proc/self/limits ("Max cpu time  3  3  seconds"): its soft limit.
std::string soft_limit(const std::string& limits, const std::string& name) {
    const auto at = limits.find(name);
    if (at == std::string::npos) return "";
    std::istringstream fields(limits.substr(at + name.size()));
    std::string soft;
    fields >> soft;
    return soft;
}

TEST(ProcessRun, TheCommandRunsUnderResourceLimits) {
    const auto outcome = shell("cat /proc/self/limits", "",
                               ProcessLimits{.time_limit = 1500ms,
                                             .max_memory_bytes = 512 * 1024 * 1024,
                                             .max_processes = 32,
                                             .max_file_bytes = 1024 * 1024});
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(soft_limit(outcome.output, "Max cpu time"), "3");  // ceil(1.5 s) + 1 s
    EXPECT_EQ(soft_limit(outcome.output, "Max address space"), "536870912");
    EXPECT_EQ(soft_limit(outcome.output, "Max processes"), "32");
    EXPECT_EQ(soft_limit(outcome.output, "Max file size"), "1048576");
    EXPECT_EQ(soft_limit(outcome.output, "Max core file size"), "0");
}

TEST(ProcessRun, AProcessThatLeftTheGroupWithSetsidIsKilledToo) {
    // setsid escapes the process group (and a kill of it); the run must still end it.
    const auto outcome = shell("setsid sleep 300 >/dev/null 2>&1 </dev/null & echo $!");
    EXPECT_EQ(outcome.ending, Ending::Exited);
    const pid_t escaped = std::stoi(outcome.output);
    ASSERT_GT(escaped, 1);
    EXPECT_EQ(::kill(escaped, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST(ProcessRun, ADoubleForkedProcessIsKilledToo) {
    const auto outcome = shell("(sh -c 'sleep 300' >/dev/null 2>&1 </dev/null & echo $!) ; exit 0");
    EXPECT_EQ(outcome.ending, Ending::Exited);
    const pid_t orphan = std::stoi(outcome.output);
    ASSERT_GT(orphan, 1);
    EXPECT_EQ(::kill(orphan, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST(ProcessRun, RunsAsTheGivenUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
    const auto outcome =
        shell("id -u; id -G", "", ProcessLimits{.user = ProcessUser{65534, 65534}});
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(outcome.output, "65534\n65534\n");
}

TEST(ProcessRun, AProgramThatCannotBeStartedThrows) {
    EXPECT_ANY_THROW(run_process({"/nonexistent/program"}, "", {}));
    EXPECT_ANY_THROW(run_process({}, "", {}));
}

}  // namespace
}  // namespace ecf::runtime
