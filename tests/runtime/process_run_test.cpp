#include "runtime/process_run.hpp"

#include <gtest/gtest.h>

#include <chrono>
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

TEST(ProcessRun, AProgramThatCannotBeStartedThrows) {
    EXPECT_ANY_THROW(run_process({"/nonexistent/program"}, "", {}));
    EXPECT_ANY_THROW(run_process({}, "", {}));
}

}  // namespace
}  // namespace ecf::runtime
