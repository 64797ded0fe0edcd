#pragma once

#include <string_view>

namespace ecf::observability {

// Tells the service manager (systemd, `Type=notify`) where the service is in its life:
// ready to serve, reloading its configuration, stopping. Without a service manager
// (no NOTIFY_SOCKET) every call does nothing.
class ServiceManager {
  public:
    // Listening and connected: systemd starts the units that wait for this one.
    void ready(std::string_view status) const;
    // SIGHUP taken: re-reading the configuration; ready() follows.
    void reloading() const;
    // Draining before exit.
    void stopping() const;
    // A line for `systemctl status`.
    void status(std::string_view text) const;
};

}  // namespace ecf::observability
