#include "runtime/process_executor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "runtime/exec_response.hpp"

namespace ecf::runtime {
namespace {

// At most this much of the command's stderr goes back to the device in `err`.
constexpr std::size_t kDiagnosticsInReply = 1024;

std::string last_lines(std::string_view text, std::size_t limit) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    if (text.size() > limit) text.remove_prefix(text.size() - limit);
    return std::string(text);
}

std::string with_diagnostics(std::string reason, const std::string& diagnostics) {
    const std::string tail = last_lines(diagnostics, kDiagnosticsInReply);
    if (!tail.empty()) reason += ": " + tail;
    return reason;
}

broker::ExecutionResult failed(std::string reason) {
    spdlog::warn("execution failed: {}", reason);
    return {200, failed_exec_response(reason)};
}

}  // namespace

ProcessExecutor::ProcessExecutor(std::string command, ProcessLimits limits)
    : command_(std::move(command)), limits_(limits) {}

broker::ExecutionResult ProcessExecutor::execute(const boost::json::value& payload) {
    ProcessOutcome outcome;
    try {
        outcome =
            run_process({"/bin/sh", "-c", command_}, boost::json::serialize(payload), limits_);
    } catch (const Error& e) {
        return failed(std::string("cannot run the executor: ") + e.what());
    }

    using Ending = ProcessOutcome::Ending;
    switch (outcome.ending) {
        case Ending::TimedOut:
            return failed(fmt::format("execution exceeded its time limit of {:g} s",
                                      limits_.time_limit.count() / 1000.0));
        case Ending::OutputTooLarge:
            return failed("executor output exceeds " + std::to_string(limits_.max_output_bytes) +
                          " bytes");
        case Ending::Signalled:
            return failed(
                with_diagnostics("executor was killed by signal " + std::to_string(outcome.status),
                                 outcome.diagnostics));
        case Ending::Exited:
            break;
    }
    if (outcome.status != 0) {
        return failed(with_diagnostics(
            "executor exited with status " + std::to_string(outcome.status), outcome.diagnostics));
    }
    boost::system::error_code ec;
    const boost::json::value printed = boost::json::parse(outcome.output, ec);
    if (ec) return failed(with_diagnostics("executor output is not JSON", outcome.diagnostics));
    auto response = as_exec_response(printed);
    if (!response) return failed("executor output is not an ExecResponse");
    return {200, std::move(*response)};
}

}  // namespace ecf::runtime
