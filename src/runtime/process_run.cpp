#include "runtime/process_run.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "core/error.hpp"

namespace ecf::runtime {
namespace {

class FileDescriptor {
  public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    ~FileDescriptor() { reset(); }

    int get() const { return fd_; }
    bool open() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
};

struct Pipe {
    FileDescriptor read_end;
    FileDescriptor write_end;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw Error(ErrorKind::Internal,
                    std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Writes to a pipe whose reader may be gone without letting SIGPIPE end this process: the
// signal is blocked for this thread during the write and a SIGPIPE it raised is consumed.
// The process's own disposition of SIGPIPE is left alone, since it belongs to the program.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
    sigset_t sigpipe_only;
    sigemptyset(&sigpipe_only);
    sigaddset(&sigpipe_only, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &sigpipe_only, &previous);
    const ssize_t written = ::write(fd, data, size);
    const int write_errno = errno;
    if (written < 0 && write_errno == EPIPE && !was_pending) {
        const timespec no_wait{};
        while (sigtimedwait(&sigpipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    errno = write_errno;
    return written;
}

// What the child does between fork and exec, prepared before the fork: after it, the child of
// a multithreaded process may only make async-signal-safe calls (no allocation, no locks).
struct ChildPlan {
    std::vector<char*> args;
    std::vector<char*> environment;
    std::vector<std::pair<int, rlim_t>> limits;
    std::optional<ProcessUser> user;
};

ChildPlan plan_child(const std::vector<std::string>& argv, const ProcessLimits& limits) {
    ChildPlan plan;
    for (const auto& arg : argv) plan.args.push_back(const_cast<char*>(arg.c_str()));
    plan.args.push_back(nullptr);
    for (const auto& entry : limits.environment) {
        plan.environment.push_back(const_cast<char*>(entry.c_str()));
    }
    plan.environment.push_back(nullptr);
    // CPU time: a function that spins is stopped by the kernel even if this process stalls.
    const auto cpu_seconds = (limits.time_limit.count() + 999) / 1000 + 1;
    plan.limits.emplace_back(RLIMIT_CPU, static_cast<rlim_t>(cpu_seconds));
    plan.limits.emplace_back(RLIMIT_CORE, 0);
    if (limits.max_memory_bytes > 0) plan.limits.emplace_back(RLIMIT_AS, limits.max_memory_bytes);
    if (limits.max_processes > 0) plan.limits.emplace_back(RLIMIT_NPROC, limits.max_processes);
    if (limits.max_file_bytes > 0) plan.limits.emplace_back(RLIMIT_FSIZE, limits.max_file_bytes);
    plan.user = limits.user;
    return plan;
}

// Steps of the child that can fail; the failing step and errno go back over a pipe.
enum class ChildStep : int { Group, Descriptors, Limits, User, Exec };

const char* describe(ChildStep step) {
    switch (step) {
        case ChildStep::Group:
            return "cannot make its process group";
        case ChildStep::Descriptors:
            return "cannot set up its file descriptors";
        case ChildStep::Limits:
            return "cannot set its resource limits";
        case ChildStep::User:
            return "cannot switch to the configured user";
        case ChildStep::Exec:
            return "cannot execute it";
    }
    return "cannot start it";
}

[[noreturn]] void child_failed(int report, ChildStep step) noexcept {
    const int message[2] = {static_cast<int>(step), errno};
    [[maybe_unused]] const auto written = ::write(report, message, sizeof message);
    ::_exit(127);
}

[[noreturn]] void run_child(const ChildPlan& plan, const Pipe& in, const Pipe& out, const Pipe& err,
                            int report) noexcept {
    // A group of its own, so that a time limit kills the command and everything it started.
    if (::setpgid(0, 0) != 0) child_failed(report, ChildStep::Group);
    // No signal blocked and the usual dispositions, whatever this process set for itself.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) {
        ::sigaction(signal_number, &default_action, nullptr);
    }
    if (::dup2(in.read_end.get(), STDIN_FILENO) < 0 ||
        ::dup2(out.write_end.get(), STDOUT_FILENO) < 0 ||
        ::dup2(err.write_end.get(), STDERR_FILENO) < 0) {
        child_failed(report, ChildStep::Descriptors);
    }
    // Nothing of this process beyond the three pipes: not the broker's socket (a function could
    // speak AMQP on it), not a file it has open. Close-on-exec rather than close, so the report
    // pipe stays usable until the exec succeeds.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        child_failed(report, ChildStep::Descriptors);
    }
    for (const auto& [resource, value] : plan.limits) {
        const rlimit limit{value, value};
        if (::setrlimit(resource, &limit) != 0) child_failed(report, ChildStep::Limits);
    }
    if (plan.user) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(plan.user->gid) != 0 ||
            ::setuid(plan.user->uid) != 0 || ::getuid() != plan.user->uid) {
            child_failed(report, ChildStep::User);
        }
        // The worker's folder may not be the function's to read.
        if (::chdir("/") != 0) child_failed(report, ChildStep::User);
    }
    ::execve(plan.args[0], plan.args.data(), plan.environment.data());
    child_failed(report, ChildStep::Exec);
}

pid_t spawn(const std::vector<std::string>& argv, const Pipe& in, const Pipe& out, const Pipe& err,
            const ProcessLimits& limits) {
    const ChildPlan plan = plan_child(argv, limits);
    // Orphans of the run (a process that called setsid, then lost its parent) come back to this
    // process instead of init, so that kill_leftovers() can find them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    Pipe report = make_pipe();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw Error(ErrorKind::Internal, "cannot start " + argv[0] + ": " + std::strerror(errno));
    }
    if (pid == 0) run_child(plan, in, out, err, report.write_end.get());

    report.write_end.reset();
    int message[2] = {0, 0};
    ssize_t n;
    while ((n = ::read(report.read_end.get(), message, sizeof message)) < 0 && errno == EINTR) {
    }
    if (n == static_cast<ssize_t>(sizeof message)) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw Error(ErrorKind::Internal, "cannot start " + argv[0] + ": " +
                                             describe(static_cast<ChildStep>(message[0])) + ": " +
                                             std::strerror(message[1]));
    }
    return pid;
}

// Kills the whole group while its leader is still unreaped, so the group id cannot have been
// reused by an unrelated process, then reaps the leader.
int kill_group_and_reap(pid_t pid) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// This process's children that belong to the run of `group`: still in its group (killed,
// not yet reaped), or in another session (they left the group with setsid).
std::vector<pid_t> leftover_children(pid_t group) {
    std::vector<pid_t> children;
    const pid_t self = ::getpid();
    const pid_t own_session = ::getsid(0);
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return children;
    while (const dirent* entry = ::readdir(proc)) {
        pid_t pid = 0;
        const std::string_view name(entry->d_name);
        const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (ec != std::errc() || end != name.data() + name.size()) continue;
        std::ifstream stat("/proc/" + std::string(name) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream fields(line.substr(close + 1));
        char state = 0;
        pid_t parent = 0, process_group = 0, session = 0;
        if (!(fields >> state >> parent >> process_group >> session)) continue;
        if (parent == self && (process_group == group || session != own_session)) {
            children.push_back(pid);
        }
    }
    ::closedir(proc);
    return children;
}

// Kills and reaps every process the run left behind. Each round's kills hand their children
// to this process (a subreaper), so the next round finds them; bounded, as RLIMIT_NPROC bounds
// how many there can be.
void kill_leftovers(pid_t group) {
    constexpr int kRounds = 64;
    for (int round = 0; round < kRounds; ++round) {
        const auto children = leftover_children(group);
        if (children.empty()) return;
        for (const pid_t child : children) ::kill(child, SIGKILL);
        for (const pid_t child : children) {
            while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    }
}

bool leader_has_ended(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

}  // namespace

ProcessOutcome run_process(const std::vector<std::string>& argv, std::string_view input,
                           const ProcessLimits& limits) {
    if (argv.empty()) throw Error(ErrorKind::Internal, "no command to run");
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + limits.time_limit;

    Pipe in = make_pipe();
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    const pid_t pid = spawn(argv, in, out, err, limits);
    in.read_end.reset();
    out.write_end.reset();
    err.write_end.reset();
    set_nonblocking(in.write_end.get());
    set_nonblocking(out.read_end.get());
    set_nonblocking(err.read_end.get());
    if (input.empty()) in.write_end.reset();

    ProcessOutcome outcome;
    std::size_t input_written = 0;
    char buffer[65536];

    const auto keep_diagnostic_tail = [&](const char* data, std::size_t size) {
        outcome.diagnostics.append(data, size);
        if (outcome.diagnostics.size() > 2 * limits.max_diagnostic_bytes) {
            outcome.diagnostics.erase(0, outcome.diagnostics.size() - limits.max_diagnostic_bytes);
        }
    };
    const auto finish = [&](ProcessOutcome::Ending ending) {
        const int status = kill_group_and_reap(pid);
        kill_leftovers(pid);
        if (outcome.diagnostics.size() > limits.max_diagnostic_bytes) {
            outcome.diagnostics.erase(0, outcome.diagnostics.size() - limits.max_diagnostic_bytes);
        }
        outcome.ending = ending;
        if (ending == ProcessOutcome::Ending::Exited && WIFSIGNALED(status)) {
            outcome.ending = ProcessOutcome::Ending::Signalled;
            outcome.status = WTERMSIG(status);
        } else if (ending == ProcessOutcome::Ending::Exited) {
            outcome.status = WEXITSTATUS(status);
        }
        return outcome;
    };

    // Feed stdin and drain stdout and stderr together: a command that writes much before it
    // reads everything would otherwise block on a full pipe while we block on its stdin.
    while (out.read_end.open() || err.read_end.open()) {
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) return finish(ProcessOutcome::Ending::TimedOut);

        pollfd fds[3];
        nfds_t count = 0;
        const auto watch = [&](const FileDescriptor& fd, short events) {
            if (fd.open()) fds[count++] = pollfd{fd.get(), events, 0};
        };
        watch(in.write_end, POLLOUT);
        watch(out.read_end, POLLIN);
        watch(err.read_end, POLLIN);
        const int ready = ::poll(
            fds, count, static_cast<int>(std::min<long long>(remaining.count() + 1, 60'000)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            kill_group_and_reap(pid);
            kill_leftovers(pid);
            throw Error(ErrorKind::Internal, std::string("poll failed: ") + std::strerror(errno));
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0) continue;
            const int fd = fds[i].fd;
            if (in.write_end.open() && fd == in.write_end.get()) {
                const ssize_t n = write_without_sigpipe(fd, input.data() + input_written,
                                                        input.size() - input_written);
                if (n > 0) input_written += static_cast<std::size_t>(n);
                // Done, or the command closed its stdin without reading it all: either way
                // there is nothing more to give it.
                if (input_written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                    in.write_end.reset();
                }
                continue;
            }
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            const bool is_output = out.read_end.open() && fd == out.read_end.get();
            if (n <= 0) {
                (is_output ? out.read_end : err.read_end).reset();
                continue;
            }
            if (is_output) {
                if (outcome.output.size() + static_cast<std::size_t>(n) > limits.max_output_bytes) {
                    return finish(ProcessOutcome::Ending::OutputTooLarge);
                }
                outcome.output.append(buffer, static_cast<std::size_t>(n));
            } else {
                keep_diagnostic_tail(buffer, static_cast<std::size_t>(n));
            }
        }
    }

    // Both outputs are closed; the command itself may still be running (it closed them early).
    while (!leader_has_ended(pid)) {
        if (Clock::now() >= deadline) return finish(ProcessOutcome::Ending::TimedOut);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return finish(ProcessOutcome::Ending::Exited);
}

}  // namespace ecf::runtime
