#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace ecf::config {

// A configuration the service refuses to start with. The message is one line naming the key.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Looks up one environment variable; nullopt when unset. Passed in so tests need no real
// environment.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process's own environment.
EnvironmentLookup process_environment();

struct LoadedConfig {
    Config config;
    // Things worth a warning that do not stop the start (unknown keys).
    std::vector<std::string> warnings;
    // The text each key was given (file, then environment), by key; a key given without a
    // value maps to "". Two loads differ in a key exactly when its text differs here.
    std::map<std::string, std::string> given;
};

// Reads YAML text (a mapping of the keys of Config; empty text means defaults), then applies
// every ECF_<KEY> environment variable over it (ECF_PORT=8080 sets `port`), then validates.
// Durations are decimal seconds. Throws ConfigError.
LoadedConfig load_config_text(std::string_view yaml, const EnvironmentLookup& environment);

// Reads the file at `path` as load_config_text does. A missing file means defaults when
// `must_exist` is false (the original's behaviour for its default path). Throws ConfigError.
LoadedConfig load_config_file(const std::string& path, bool must_exist,
                              const EnvironmentLookup& environment);

}  // namespace ecf::config
