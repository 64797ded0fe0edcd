#include "config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/address_list.hpp"

namespace ecf::config {
namespace {

// How one key turns its text into a field of Config. Every value arrives as text, from YAML or
// from the environment alike, so both paths are validated by the same code.
struct KeySetter {
    std::string_view key;
    // `value` is nullopt when the file names the key with no value: the default then stands
    // (an optional key becomes unset).
    std::function<void(Config&, const std::optional<std::string>& value)> set;
    // A key whose value is a list: a YAML sequence arrives as its items joined with '\n', an
    // environment variable as items separated by ','.
    bool list = false;
};

[[noreturn]] void refuse(std::string_view key, std::string_view why) {
    throw ConfigError("configuration key '" + std::string(key) + "': " + std::string(why));
}

std::string trimmed(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

std::uint64_t parse_unsigned(std::string_view key, const std::string& text, std::uint64_t min,
                             std::uint64_t max) {
    const std::string value = trimmed(text);
    std::uint64_t result = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        refuse(key, "must be a whole number");
    }
    if (result < min || result > max) {
        refuse(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return result;
}

std::int64_t parse_signed(std::string_view key, const std::string& text) {
    const std::string value = trimmed(text);
    std::int64_t result = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        refuse(key, "must be a whole number");
    }
    return result;
}

// Decimal seconds ("2.5") to milliseconds.
std::chrono::milliseconds parse_seconds(std::string_view key, const std::string& text,
                                        bool allow_zero) {
    const std::string value = trimmed(text);
    double seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size() ||
        !std::isfinite(seconds)) {
        refuse(key, "must be a number of seconds, such as 2.5");
    }
    // Ten years bounds every wait while leaving room for "practically never".
    if (seconds < 0 || seconds > 315'360'000.0) refuse(key, "must be between 0 and 315360000");
    if (!allow_zero && seconds <= 0) refuse(key, "must be more than 0");
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

std::string parse_text(std::string_view key, const std::string& text) {
    std::string value = trimmed(text);
    if (value.empty()) refuse(key, "must not be empty");
    return value;
}

std::string parse_url(std::string_view key, const std::string& text, bool http_only) {
    std::string value = parse_text(key, text);
    auto url = boost::urls::parse_uri(value);
    if (!url || url->host().empty()) refuse(key, "must be a URL such as http://host:port");
    if (http_only && url->scheme() != "http" && url->scheme() != "https") {
        refuse(key, "must be an http:// or https:// URL");
    }
    if (url->has_port() && url->port_number() == 0) refuse(key, "has an invalid port");
    return value;
}

bool parse_bool(std::string_view key, const std::string& text) {
    std::string value = trimmed(text);
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
    if (value == "false" || value == "no" || value == "off" || value == "0") return false;
    refuse(key, "must be true or false");
}

// One URL or several (core/address_list.hpp), each checked as parse_url does.
std::vector<std::string> parse_url_list(std::string_view key, const std::string& text) {
    std::vector<std::string> items;
    try {
        items = split_address_list(text);
    } catch (const std::invalid_argument& e) {
        refuse(key, e.what());
    }
    if (items.empty()) refuse(key, "must not be empty");
    for (auto& item : items) item = parse_url(key, item, false);
    return items;
}

std::string parse_log_level(std::string_view key, const std::string& text) {
    std::string value = trimmed(text);
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::array<std::string_view, 8> levels = {
        "trace", "debug", "info", "warning", "warn", "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), value) == levels.end()) {
        refuse(key, "must be one of trace, debug, info, warning, error, critical, off");
    }
    return value;
}

// A flavour list: items separated by ',' or '\n', each a queue name RabbitMQ accepts for a
// flavour (1 to 255 bytes, not starting with "amq.").
std::vector<std::string> parse_flavours(std::string_view key, const std::string& text) {
    std::vector<std::string> flavours;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find_first_of(",\n", start);
        if (end == std::string::npos) end = text.size();
        const std::string item = trimmed(std::string_view(text).substr(start, end - start));
        if (!item.empty()) {
            if (item.size() > 255 || item.rfind("amq.", 0) == 0) {
                refuse(key, "holds a flavour that is not a queue name (1 to 255 bytes, not amq.*)");
            }
            flavours.push_back(item);
        }
        start = end + 1;
    }
    return flavours;
}

const std::vector<KeySetter>& key_setters() {
    using V = std::optional<std::string>;
    static const std::vector<KeySetter> setters = {
        {"host",
         [](Config& c, const V& v) {
             if (v) c.host = parse_text("host", *v);
         }},
        {"port",
         [](Config& c, const V& v) {
             // 0 asks the system for a free port (tests use it; the start line shows the port).
             if (v) c.port = static_cast<std::uint16_t>(parse_unsigned("port", *v, 0, 65535));
         }},
        {"one_xmlrpc",
         [](Config& c, const V& v) {
             if (v)
                 c.one_xmlrpc = parse_url("one_xmlrpc", *v, true);
             else
                 c.one_xmlrpc.reset();
         }},
        {"oneflow",
         [](Config& c, const V& v) {
             if (v) c.oneflow = parse_text("oneflow", *v);
         }},
        {"cognit_frontend",
         [](Config& c, const V& v) {
             if (v)
                 c.cognit_frontend = parse_url("cognit_frontend", *v, true);
             else
                 c.cognit_frontend.reset();
         }},
        {"cluster_id",
         [](Config& c, const V& v) {
             if (v) c.cluster_id = parse_signed("cluster_id", *v);
         }},
        // One address, or a RabbitMQ cluster's nodes: a YAML list, or comma-separated.
        {"broker",
         [](Config& c, const V& v) {
             if (v) c.broker = parse_url_list("broker", *v);
         },
         true},
        {"shared_results",
         [](Config& c, const V& v) {
             c.shared_results = v ? parse_bool("shared_results", *v) : true;
         }},
        {"workers",
         [](Config& c, const V& v) {
             if (v) c.workers = static_cast<unsigned>(parse_unsigned("workers", *v, 0, 1024));
         }},
        {"log_format",
         [](Config& c, const V& v) {
             if (!v) return;
             const std::string value = trimmed(*v);
             if (value != "text" && value != "json") refuse("log_format", "must be text or json");
             c.log_format = value;
         }},
        {"log_level",
         [](Config& c, const V& v) {
             if (v) c.log_level = parse_log_level("log_level", *v);
         }},
        {"public_key",
         [](Config& c, const V& v) {
             if (v)
                 c.public_key = parse_text("public_key", *v);
             else
                 c.public_key.reset();
         }},
        {"execution_timeout",
         [](Config& c, const V& v) {
             if (v) c.execution_timeout = parse_seconds("execution_timeout", *v, false);
         }},
        {"queue_allowance",
         [](Config& c, const V& v) {
             if (v) c.queue_allowance = parse_seconds("queue_allowance", *v, true);
         }},
        {"one_timeout",
         [](Config& c, const V& v) {
             if (v) c.one_timeout = parse_seconds("one_timeout", *v, false);
         }},
        {"broker_write_timeout",
         [](Config& c, const V& v) {
             if (v) c.broker_write_timeout = parse_seconds("broker_write_timeout", *v, false);
         }},
        {"document_cache_ttl",
         [](Config& c, const V& v) {
             if (v) c.document_cache_ttl = parse_seconds("document_cache_ttl", *v, true);
         }},
        {"document_cache_entries",
         [](Config& c, const V& v) {
             if (v) {
                 c.document_cache_entries =
                     parse_unsigned("document_cache_entries", *v, 0, 100'000'000);
             }
         }},
        {"public_key_reload_interval",
         [](Config& c, const V& v) {
             if (v) {
                 c.public_key_reload_interval =
                     parse_seconds("public_key_reload_interval", *v, true);
             }
         }},
        {"token_cache_entries",
         [](Config& c, const V& v) {
             if (v) {
                 c.token_cache_entries = parse_unsigned("token_cache_entries", *v, 0, 100'000'000);
             }
         }},
        {"revocation_file",
         [](Config& c, const V& v) {
             if (v)
                 c.revocation_file = parse_text("revocation_file", *v);
             else
                 c.revocation_file.reset();
         }},
        {"max_body_bytes",
         [](Config& c, const V& v) {
             if (v) c.max_body_bytes = parse_unsigned("max_body_bytes", *v, 1, 1ull << 32);
         }},
        {"max_small_body_bytes",
         [](Config& c, const V& v) {
             if (v) {
                 c.max_small_body_bytes = parse_unsigned("max_small_body_bytes", *v, 1, 1ull << 32);
             }
         }},
        {"header_timeout",
         [](Config& c, const V& v) {
             if (v) c.header_timeout = parse_seconds("header_timeout", *v, false);
         }},
        {"idle_timeout",
         [](Config& c, const V& v) {
             if (v) c.idle_timeout = parse_seconds("idle_timeout", *v, false);
         }},
        {"max_connections",
         [](Config& c, const V& v) {
             if (v) c.max_connections = parse_unsigned("max_connections", *v, 1, 1'000'000);
         }},
        {"max_connections_per_address",
         [](Config& c, const V& v) {
             if (v) {
                 c.max_connections_per_address =
                     parse_unsigned("max_connections_per_address", *v, 1, 1'000'000);
             }
         }},
        {"max_waiting_executions",
         [](Config& c, const V& v) {
             if (v) {
                 c.max_waiting_executions =
                     parse_unsigned("max_waiting_executions", *v, 1, 10'000'000);
             }
         }},
        {"max_waiting_executions_per_user",
         [](Config& c, const V& v) {
             if (v) {
                 c.max_waiting_executions_per_user =
                     parse_unsigned("max_waiting_executions_per_user", *v, 0, 10'000'000);
             }
         }},
        {"async_mode",
         [](Config& c, const V& v) {
             if (!v) return;
             const std::string value = trimmed(*v);
             if (value != "sync" && value != "accepted") {
                 refuse("async_mode", "must be sync or accepted");
             }
             c.async_mode = value;
         }},
        {"async_result_ttl",
         [](Config& c, const V& v) {
             if (v) c.async_result_ttl = parse_seconds("async_result_ttl", *v, false);
         }},
        {"async_max_results",
         [](Config& c, const V& v) {
             if (v) c.async_max_results = parse_unsigned("async_max_results", *v, 1, 10'000'000);
         }},
        {"async_max_result_bytes",
         [](Config& c, const V& v) {
             if (v) {
                 c.async_max_result_bytes =
                     parse_unsigned("async_max_result_bytes", *v, 64, 1024ull * 1024 * 1024);
             }
         }},
        {"async_store_bytes",
         [](Config& c, const V& v) {
             if (v) {
                 c.async_store_bytes =
                     parse_unsigned("async_store_bytes", *v, 1024, 64ull * 1024 * 1024 * 1024);
             }
         }},
        {"async_max_wait",
         [](Config& c, const V& v) {
             if (v) c.async_max_wait = parse_seconds("async_max_wait", *v, true);
         }},
        {"async_max_waiters",
         [](Config& c, const V& v) {
             if (v) c.async_max_waiters = parse_unsigned("async_max_waiters", *v, 0, 1'000'000);
         }},
        {"async_max_waiters_per_user",
         [](Config& c, const V& v) {
             if (v) {
                 c.async_max_waiters_per_user =
                     parse_unsigned("async_max_waiters_per_user", *v, 0, 1'000'000);
             }
         }},
        {"data_dir",
         [](Config& c, const V& v) {
             if (v) c.data_dir = parse_text("data_dir", *v);
         }},
        {"max_documents_per_user",
         [](Config& c, const V& v) {
             if (v) {
                 c.max_documents_per_user =
                     parse_unsigned("max_documents_per_user", *v, 1, 100'000'000);
             }
         }},
        {"flavours",
         [](Config& c, const V& v) {
             c.flavours = v ? parse_flavours("flavours", *v) : std::vector<std::string>{};
         },
         true},
        // Files: the service checks them when it loads them (a TLS error names the file).
        {"backend_ca_file",
         [](Config& c, const V& v) {
             c.backend_ca_file = v ? parse_text("backend_ca_file", *v) : "";
         }},
        {"backend_cert_file",
         [](Config& c, const V& v) {
             c.backend_cert_file = v ? parse_text("backend_cert_file", *v) : "";
         }},
        {"backend_key_file",
         [](Config& c, const V& v) {
             c.backend_key_file = v ? parse_text("backend_key_file", *v) : "";
         }},
        {"broker_ca_file",
         [](Config& c, const V& v) {
             if (v) c.broker_ca_file = parse_text("broker_ca_file", *v);
         }},
        {"broker_cert_file",
         [](Config& c, const V& v) {
             c.broker_cert_file = v ? parse_text("broker_cert_file", *v) : "";
         }},
        {"broker_key_file",
         [](Config& c, const V& v) {
             c.broker_key_file = v ? parse_text("broker_key_file", *v) : "";
         }},
    };
    return setters;
}

const KeySetter* find_setter(std::string_view key) {
    for (const auto& setter : key_setters()) {
        if (setter.key == key) return &setter;
    }
    return nullptr;
}

std::string environment_name(std::string_view key) {
    std::string name = "ECF_";
    for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

}  // namespace

EnvironmentLookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

LoadedConfig load_config_text(std::string_view yaml, const EnvironmentLookup& environment) {
    LoadedConfig loaded;
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw ConfigError("configuration is not valid YAML: line " +
                          std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (root.IsDefined() && !root.IsNull()) {
        if (!root.IsMap()) throw ConfigError("configuration must be a mapping of keys to values");
        for (const auto& entry : root) {
            const std::string key = entry.first.Scalar();
            const KeySetter* setter = find_setter(key);
            if (setter == nullptr) {
                loaded.warnings.push_back("unknown configuration key '" + key + "' ignored");
                continue;
            }
            const YAML::Node& value = entry.second;
            if (value.IsNull()) {
                setter->set(loaded.config, std::nullopt);
                loaded.given[key] = "";
            } else if (value.IsScalar()) {
                setter->set(loaded.config, value.Scalar());
                loaded.given[key] = value.Scalar();
            } else if (setter->list && value.IsSequence()) {
                std::string items;
                for (const auto& item : value) {
                    if (!item.IsScalar()) refuse(key, "must be a list of single values");
                    items += item.Scalar() + "\n";
                }
                setter->set(loaded.config, items);
                loaded.given[key] = items;
            } else {
                refuse(key, "must be a single value");
            }
        }
    }
    for (const auto& setter : key_setters()) {
        if (auto value = environment(environment_name(setter.key))) {
            setter.set(loaded.config, *value);
            loaded.given[std::string(setter.key)] = *value;
        }
    }
    return loaded;
}

LoadedConfig load_config_file(const std::string& path, bool must_exist,
                              const EnvironmentLookup& environment) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        if (must_exist) throw ConfigError("configuration file " + path + " cannot be read");
        return load_config_text("", environment);
    }
    std::ostringstream text;
    text << file.rdbuf();
    return load_config_text(text.str(), environment);
}

}  // namespace ecf::config
