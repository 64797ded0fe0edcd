#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ecf::runtime {

struct ProcessLimits {
    std::chrono::milliseconds time_limit{60'000};
    std::size_t max_output_bytes = 64 * 1024 * 1024;  // stdout; past it the process is killed
    std::size_t max_diagnostic_bytes = 4096;          // the tail of stderr that is kept
};

struct ProcessOutcome {
    enum class Ending { Exited, Signalled, TimedOut, OutputTooLarge };
    Ending ending = Ending::Exited;
    int status = 0;           // exit status (Exited) or signal number (Signalled)
    std::string output;       // stdout, at most max_output_bytes
    std::string diagnostics;  // the last max_diagnostic_bytes of stderr
};

// Runs argv[0] (a path, not looked up in PATH) with `input` on its stdin and collects its stdout
// and stderr, within the limits. The process gets a process group of its own, and that whole
// group is killed when the process ends, times out or writes too much, so nothing it started
// outlives the execution. Throws ecf::Error (Internal) when the process cannot be started.
ProcessOutcome run_process(const std::vector<std::string>& argv, std::string_view input,
                           const ProcessLimits& limits);

}  // namespace ecf::runtime
