#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.hpp"

namespace ecf::cli {

// A configuration key that can change while the service runs, and how to apply its new value.
struct ReloadableKey {
    std::string key;
    std::function<void(const config::Config&)> apply;
};

// What SIGHUP does: reads the configuration (file and environment) again as at start-up, and
// applies the changed keys that are reloadable. A configuration that does not load is refused
// with one line naming the key, and nothing changes. A changed key that is not reloadable is
// named in a warning (it takes effect at the next start). Not thread-safe: call it from one
// place (the signal handler).
class ConfigReloader {
  public:
    ConfigReloader(std::string path, bool path_given, config::LoadedConfig current,
                   std::vector<ReloadableKey> reloadable, std::shared_ptr<spdlog::logger> logger);

    // Returns whether the new configuration was taken.
    bool reload(const config::EnvironmentLookup& environment);

  private:
    std::string path_;
    bool path_given_;
    config::LoadedConfig current_;
    std::vector<ReloadableKey> reloadable_;
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace ecf::cli
