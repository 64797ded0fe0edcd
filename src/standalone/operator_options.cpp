#include "standalone/operator_options.hpp"

#include "config/config_loader.hpp"

namespace ecf::standalone {

std::filesystem::path operator_data_dir(const std::optional<std::string>& config_path,
                                        const std::optional<std::string>& data_dir) {
    if (data_dir) return *data_dir;
    const auto loaded =
        config::load_config_file(config_path.value_or(config::kDefaultConfigPath),
                                 config_path.has_value(), config::process_environment());
    return loaded.config.data_dir;
}

}  // namespace ecf::standalone
