#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ecf::runtime::testing {

// tests/doubles/sr_http_api.py in one mode, on 127.0.0.1 and a free port, for one test.
class SrHttpApiDouble {
  public:
    explicit SrHttpApiDouble(std::vector<std::string> arguments) {
        std::vector<std::string> argv{"/usr/bin/python3", ECF_SR_HTTP_API_DOUBLE, "--port", "0",
                                      "--exit-on-stdin-eof"};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        int to_child[2];
        int from_child[2];
        if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
        posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        if (::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) {
            throw std::runtime_error("cannot start the SR HTTP API double");
        }
        posix_spawn_file_actions_destroy(&actions);
        ::close(to_child[0]);
        ::close(from_child[1]);
        stdin_ = to_child[1];
        // "PORT <n>\n", read byte by byte: bounded by the line's length and by the child
        // exiting (EOF), which it does when it cannot listen.
        std::string line;
        char c;
        while (line.size() < 64 && ::read(from_child[0], &c, 1) == 1 && c != '\n') line += c;
        ::close(from_child[0]);
        if (!line.starts_with("PORT ")) {
            stop();
            throw std::runtime_error("the SR HTTP API double did not start: " + line);
        }
        port_ = std::stoi(line.substr(5));
    }
    ~SrHttpApiDouble() { stop(); }
    SrHttpApiDouble(const SrHttpApiDouble&) = delete;
    SrHttpApiDouble& operator=(const SrHttpApiDouble&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int port() const { return port_; }

  private:
    void stop() {
        if (stdin_ >= 0) ::close(stdin_);
        stdin_ = -1;
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status;
            for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (::waitpid(pid_, &status, WNOHANG) == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
        }
        pid_ = -1;
    }

    pid_t pid_ = -1;
    int stdin_ = -1;
    int port_ = 0;
};

}  // namespace ecf::runtime::testing
