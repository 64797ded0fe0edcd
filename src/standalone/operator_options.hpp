#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ecf::standalone {

// Where the operator's commands (`ecf users`, `ecf documents`) find standalone mode's data: the
// --data-dir flag when given, else data_dir of the configuration the server reads (--config,
// by default the original's path, with the same ECF_<KEY> environment overrides).
// Throws config::ConfigError when the configuration is bad.
std::filesystem::path operator_data_dir(const std::optional<std::string>& config_path,
                                        const std::optional<std::string>& data_dir);

}  // namespace ecf::standalone
