#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ecf::testing {

// A Python test double from tests/doubles run as a child process on a free port of 127.0.0.1.
// It exits when this object goes (SIGTERM) or when the test process dies (its stdin closes).
class PythonDouble {
  public:
    explicit PythonDouble(const std::string& script, std::vector<std::string> arguments = {}) {
        int to_child[2];
        int from_child[2];
        if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        std::vector<std::string> argv_text{"/usr/bin/python3",
                                           std::string(ECF_SOURCE_DIR) + "/tests/doubles/" + script,
                                           "--port", "0", "--exit-on-stdin-eof"};
        for (auto& argument : arguments) argv_text.push_back(std::move(argument));
        std::vector<char*> argv;
        for (auto& a : argv_text) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        stdin_ = to_child[1];
        stdout_ = from_child[0];
        port_ = read_ready_line(std::chrono::seconds(15));
    }

    ~PythonDouble() {
        if (stdin_ >= 0) close(stdin_);
        if (stdout_ >= 0) close(stdout_);
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            for (int i = 0; i < 100; ++i) {  // at most 5 s, then no more politeness
                if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }

    PythonDouble(const PythonDouble&) = delete;
    PythonDouble& operator=(const PythonDouble&) = delete;

    unsigned short port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  private:
    unsigned short read_ready_line(std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        std::string line;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd fd{stdout_, POLLIN, 0};
            if (poll(&fd, 1, 100) <= 0) continue;
            char c;
            if (read(stdout_, &c, 1) != 1) break;
            if (c != '\n') {
                line += c;
                continue;
            }
            if (line.rfind("ready ", 0) == 0)
                return static_cast<unsigned short>(std::stoi(line.substr(6)));
            line.clear();
        }
        throw std::runtime_error("the test double did not start");
    }

    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    unsigned short port_ = 0;
};

}  // namespace ecf::testing
