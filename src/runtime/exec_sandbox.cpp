#include "runtime/exec_sandbox.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/error.hpp"

namespace ecf::runtime {

std::vector<std::string> clean_environment(const std::vector<std::string>& passed) {
    std::vector<std::string> environment = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"};
    for (const auto& name : passed) {
        if (name.empty() || name.find('=') != std::string::npos) continue;
        if (const char* value = std::getenv(name.c_str())) {
            environment.push_back(name + "=" + value);
        }
    }
    return environment;
}

ProcessUser lookup_user(const std::string& name) {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    const int status = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (status != 0 || found == nullptr) {
        throw Error(ErrorKind::Internal, "--exec-user: no user named " + name);
    }
    if (found->pw_uid == 0) {
        throw Error(ErrorKind::Internal, "--exec-user: functions never run as root");
    }
    return ProcessUser{found->pw_uid, found->pw_gid};
}

std::string read_broker_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        throw Error(ErrorKind::Internal,
                    "--broker-file: cannot open " + path + ": " + std::strerror(errno));
    }
    struct stat info {};
    std::string text;
    bool private_file = false;
    if (::fstat(fd, &info) == 0) {
        private_file = S_ISREG(info.st_mode) && info.st_uid == ::geteuid() &&
                       (info.st_mode & (S_IRWXG | S_IRWXO)) == 0;
        char buffer[4096];
        ssize_t n;
        // A URL is short: anything past 4 KiB is not one.
        while (text.size() < 4096 && (n = ::read(fd, buffer, sizeof buffer)) > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    if (!private_file) {
        throw Error(ErrorKind::Internal,
                    "--broker-file: " + path +
                        " must be a regular file of this user, readable by nobody else "
                        "(chmod 600): it holds the broker's password");
    }
    std::string_view line(text);
    line = line.substr(0, line.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) throw Error(ErrorKind::Internal, "--broker-file: " + path + " is empty");
    return std::string(line);
}

}  // namespace ecf::runtime
