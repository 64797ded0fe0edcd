#include "observability/service_manager.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace ecf::observability {
namespace {

void notify(const std::string& state) {
    // 0: keep NOTIFY_SOCKET, so that a reload can notify again.
    sd_notify(0, state.c_str());
}

// The status line holds no newline: sd_notify's state is newline-separated assignments.
std::string one_line(std::string_view text) {
    std::string line(text);
    for (char& c : line) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return line;
}

}  // namespace

void ServiceManager::ready(std::string_view status) const {
    notify("READY=1\nSTATUS=" + one_line(status));
}

void ServiceManager::reloading() const {
    notify("RELOADING=1\nSTATUS=reloading the configuration");
}

void ServiceManager::stopping() const {
    notify("STOPPING=1\nSTATUS=draining requests in flight");
}

void ServiceManager::status(std::string_view text) const {
    notify("STATUS=" + one_line(text));
}

}  // namespace ecf::observability
