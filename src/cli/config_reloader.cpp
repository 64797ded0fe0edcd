#include "cli/config_reloader.hpp"

#include <algorithm>
#include <set>

namespace ecf::cli {

namespace {

// Keys whose text differs between two loads (given in one and not the other included).
std::set<std::string> changed_keys(const config::LoadedConfig& before,
                                   const config::LoadedConfig& after) {
    std::set<std::string> changed;
    for (const auto& [key, text] : before.given) {
        auto it = after.given.find(key);
        if (it == after.given.end() || it->second != text) changed.insert(key);
    }
    for (const auto& [key, text] : after.given) {
        if (!before.given.contains(key)) changed.insert(key);
    }
    return changed;
}

std::string joined(const std::vector<std::string>& keys) {
    std::string text;
    for (const auto& key : keys) text += (text.empty() ? "" : ", ") + key;
    return text;
}

}  // namespace

ConfigReloader::ConfigReloader(std::string path, bool path_given, config::LoadedConfig current,
                               std::vector<ReloadableKey> reloadable,
                               std::shared_ptr<spdlog::logger> logger)
    : path_(std::move(path)),
      path_given_(path_given),
      current_(std::move(current)),
      reloadable_(std::move(reloadable)),
      logger_(std::move(logger)) {}

bool ConfigReloader::reload(const config::EnvironmentLookup& environment) {
    config::LoadedConfig next;
    try {
        next = config::load_config_file(path_, path_given_, environment);
    } catch (const config::ConfigError& e) {
        // ConfigError's message names the key and never holds a value that could be a secret
        // beyond what the operator wrote; it is one line.
        logger_->error("configuration reload refused, keeping the running one: {}", e.what());
        return false;
    }
    for (const auto& warning : next.warnings) logger_->warn("{}", warning);

    std::vector<std::string> applied;
    std::vector<std::string> need_restart;
    for (const auto& key : changed_keys(current_, next)) {
        auto it = std::find_if(reloadable_.begin(), reloadable_.end(),
                               [&](const ReloadableKey& r) { return r.key == key; });
        if (it == reloadable_.end()) {
            need_restart.push_back(key);
            continue;
        }
        it->apply(next.config);
        applied.push_back(key);
    }
    if (applied.empty()) {
        logger_->info("configuration reloaded: no reloadable key changed");
    } else {
        logger_->info("configuration reloaded: {} changed", joined(applied));
    }
    if (!need_restart.empty()) {
        logger_->warn("configuration keys changed that take effect only after a restart: {}",
                      joined(need_restart));
    }
    // Until a restart, the running value of such a key is the old one: the next reload compares
    // with it (and names the key again).
    for (const auto& key : need_restart) {
        if (auto old = current_.given.find(key); old != current_.given.end()) {
            next.given[key] = old->second;
        } else {
            next.given.erase(key);
        }
    }
    current_ = std::move(next);
    return true;
}

}  // namespace ecf::cli
