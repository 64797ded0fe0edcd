#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecf::runtime {

// Who the process runs as, when not as this process's own user.
struct ProcessUser {
    uid_t uid = 0;
    gid_t gid = 0;
};

struct ProcessLimits {
    std::chrono::milliseconds time_limit{60'000};
    std::size_t max_output_bytes = 64 * 1024 * 1024;  // stdout; past it the process is killed
    std::size_t max_diagnostic_bytes = 4096;          // the tail of stderr that is kept
    // Kernel limits of the process and everything it starts (0: none). CPU time is always
    // limited to the time limit, rounded up, plus one second.
    std::size_t max_memory_bytes = 0;  // RLIMIT_AS
    std::size_t max_processes = 0;     // RLIMIT_NPROC, counted per user
    std::size_t max_file_bytes = 0;    // RLIMIT_FSIZE
    // The whole environment of the process ("NAME=value"); nothing of this process's own
    // environment is passed on unless it is listed here.
    std::vector<std::string> environment = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"};
    // Set: the process drops to this user (and only its primary group) before it starts; this
    // process must be root for that.
    std::optional<ProcessUser> user{};
};

struct ProcessOutcome {
    enum class Ending { Exited, Signalled, TimedOut, OutputTooLarge };
    Ending ending = Ending::Exited;
    int status = 0;           // exit status (Exited) or signal number (Signalled)
    std::string output;       // stdout, at most max_output_bytes
    std::string diagnostics;  // the last max_diagnostic_bytes of stderr
};

// Runs argv[0] (a path, not looked up in PATH) with `input` on its stdin and collects its stdout
// and stderr, within the limits. The process gets a process group of its own, no file
// descriptor of this process but its three pipes, the environment and user of `limits`, and the
// kernel limits. When it ends, times out or writes too much, its whole group is killed, and so
// is every process it started that left the group (setsid, double fork): this process is made a
// child subreaper, so such orphans become its children, and each child left in the run's group
// or in another session is killed and reaped. This assumes one run at a time per process, as
// ecf-runtime does. Throws ecf::Error (Internal) when the process cannot be started.
ProcessOutcome run_process(const std::vector<std::string>& argv, std::string_view input,
                           const ProcessLimits& limits);

}  // namespace ecf::runtime
