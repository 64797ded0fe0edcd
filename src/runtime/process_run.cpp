#include "runtime/process_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "core/error.hpp"

extern char** environ;

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

pid_t spawn(const std::vector<std::string>& argv, const Pipe& in, const Pipe& out,
            const Pipe& err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read_end.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out.write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err.write_end.get(), STDERR_FILENO);

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // A group of its own, so that a time limit kills the command and everything it started.
    posix_spawnattr_setpgroup(&attributes, 0);
    // The child starts with no signal blocked and the usual dispositions, whatever this
    // process has set for itself.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) {
        sigaddset(&defaults, signal_number);
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = -1;
    const int status = ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (status != 0) {
        throw Error(ErrorKind::Internal, "cannot start " + argv[0] + ": " + std::strerror(status));
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
    const pid_t pid = spawn(argv, in, out, err);
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
