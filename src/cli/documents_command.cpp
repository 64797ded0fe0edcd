// `ecf documents add|list|show|remove`: FUNCTION and APP_REQUIREMENT documents of standalone
// mode's embedded store, as an operator would manage them in OpenNebula.
#include <sodium.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "standalone/device_api.hpp"
#include "standalone/operator_options.hpp"
#include "standalone/sqlite_document_store.hpp"
#include "standalone/user_directory.hpp"

namespace ecf::cli {

namespace {

namespace json = boost::json;
using documents::DocumentType;

struct DocumentsOptions {
    std::optional<std::string> config_path;
    std::optional<std::string> data_dir;
    std::optional<std::string> user;
    std::string type;
    std::optional<std::string> name;
    std::optional<std::string> file;
    std::int64_t id = 0;
    // FUNCTION
    std::optional<std::string> lang;
    std::optional<std::string> fc;
    std::optional<std::string> fc_file;
    std::optional<std::string> fc_hash;
    // APP_REQUIREMENT
    std::optional<std::string> flavour;
    std::optional<std::int64_t> max_latency;
    std::optional<double> max_function_execution_time;
    std::optional<std::int64_t> min_energy_renewable_usage;
    std::optional<std::string> geolocation;
    std::optional<std::string> device_id;
};

std::optional<DocumentType> type_named(const std::string& text) {
    if (text == "function" || text == "FUNCTION" || text == "1339") return DocumentType::Function;
    if (text == "app_requirement" || text == "APP_REQUIREMENT" || text == "1338") {
        return DocumentType::AppRequirement;
    }
    return std::nullopt;
}

const char* type_name(int type) {
    if (type == static_cast<int>(DocumentType::Function)) return "FUNCTION";
    if (type == static_cast<int>(DocumentType::AppRequirement)) return "APP_REQUIREMENT";
    return "OTHER";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::BadRequest, "cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string sha256_hex(std::string_view text) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    char hex[2 * sizeof digest + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

// The template of `add`: a JSON file, with flags given on top of it.
json::object template_of(const DocumentsOptions& options, DocumentType type) {
    json::object body;
    if (options.file) {
        boost::system::error_code ec;
        auto parsed = json::parse(read_file(*options.file), ec);
        if (ec || !parsed.is_object()) {
            throw Error(ErrorKind::BadRequest, *options.file + " does not hold a JSON object");
        }
        body = std::move(parsed.as_object());
    }
    if (type == DocumentType::Function) {
        if (options.lang) body["LANG"] = *options.lang;
        if (options.fc) body["FC"] = *options.fc;
        if (options.fc_file) {
            auto text = read_file(*options.fc_file);
            while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
            body["FC"] = text;
        }
        if (options.fc_hash) body["FC_HASH"] = *options.fc_hash;
        if (!body.contains("LANG")) body["LANG"] = "PY";
        if (!body.contains("FC_HASH") && body.contains("FC") && body["FC"].is_string()) {
            body["FC_HASH"] = sha256_hex(body["FC"].as_string());
        }
        return standalone::DeviceApi::function_template(body);
    }
    if (options.flavour) body["FLAVOUR"] = *options.flavour;
    if (options.max_latency) body["MAX_LATENCY"] = *options.max_latency;
    if (options.max_function_execution_time) {
        body["MAX_FUNCTION_EXECUTION_TIME"] = *options.max_function_execution_time;
    }
    if (options.min_energy_renewable_usage) {
        body["MIN_ENERGY_RENEWABLE_USAGE"] = *options.min_energy_renewable_usage;
    }
    if (options.geolocation) body["GEOLOCATION"] = *options.geolocation;
    if (options.device_id) body["ID"] = *options.device_id;
    return standalone::DeviceApi::requirement_template(body);
}

json::object describe(const documents::Document& document) {
    return {{"ID", document.id},       {"UID", document.uid},
            {"GID", document.gid},     {"UNAME", document.uname},
            {"GNAME", document.gname}, {"NAME", document.name},
            {"TYPE", document.type},   {"TEMPLATE", document.template_values}};
}

template <typename Action>
int run(const DocumentsOptions& options, Action action) {
    try {
        const auto folder = standalone::operator_data_dir(options.config_path, options.data_dir);
        if (!std::filesystem::is_directory(folder)) {
            throw Error(ErrorKind::BadRequest,
                        "no data folder " + folder.string() +
                            " (start the ECF in standalone mode once, or give --data-dir)");
        }
        standalone::SqliteDocumentStore store(folder / "documents.sqlite");
        standalone::UserDirectory users(folder / "users");
        return action(store, users);
    } catch (const std::exception& e) {
        std::cerr << "ecf documents: " << e.what() << '\n';
        return 1;
    }
}

void add_common_options(CLI::App& command, DocumentsOptions& options) {
    command.add_option("--config", options.config_path,
                       "configuration file whose data_dir holds the documents");
    command.add_option("--data-dir", options.data_dir,
                       "standalone data folder (overrides --config)");
}

}  // namespace

void add_documents_commands(CLI::App& app, int& exit_status) {
    auto options = std::make_shared<DocumentsOptions>();
    auto* documents = app.add_subcommand("documents", "documents of standalone mode");
    documents->require_subcommand(1);

    auto* add = documents->add_subcommand(
        "add", "add a FUNCTION or APP_REQUIREMENT owned by --user; prints its id");
    add->add_option("--user", options->user, "owner (a user of `ecf users`)")->required();
    add->add_option("--type", options->type, "function or app_requirement")->required();
    add->add_option("--name", options->name, "document name");
    add->add_option("--file", options->file,
                    "JSON template: {LANG, FC, FC_HASH} or the COGNIT frontend's AppRequirements");
    add->add_option("--lang", options->lang, "FUNCTION: PY or C (default PY)");
    add->add_option("--fc", options->fc, "FUNCTION: the serialized function, base64");
    add->add_option("--fc-file", options->fc_file, "FUNCTION: a file holding FC");
    add->add_option("--fc-hash", options->fc_hash, "FUNCTION: hash (default: SHA-256 of FC)");
    add->add_option("--flavour", options->flavour, "APP_REQUIREMENT: flavour (default Nature)");
    add->add_option("--max-latency", options->max_latency, "APP_REQUIREMENT: milliseconds");
    add->add_option("--max-function-execution-time", options->max_function_execution_time,
                    "APP_REQUIREMENT: seconds");
    add->add_option("--min-energy-renewable-usage", options->min_energy_renewable_usage,
                    "APP_REQUIREMENT: percent");
    add->add_option("--geolocation", options->geolocation, "APP_REQUIREMENT: \"lat,lon\"");
    add->add_option("--device-id", options->device_id, "APP_REQUIREMENT: the device's ID");
    add_common_options(*add, *options);
    add->callback([options, &exit_status] {
        exit_status = run(*options, [&](standalone::SqliteDocumentStore& store,
                                        standalone::UserDirectory& users) {
            const auto type = type_named(options->type);
            if (!type) {
                std::cerr << "ecf documents add: --type is function or app_requirement\n";
                return 1;
            }
            const auto owner = users.find(*options->user);
            if (!owner) {
                std::cerr << "ecf documents add: no user " << *options->user
                          << " (add one with `ecf users add`)\n";
                return 1;
            }
            const auto values = template_of(*options, *type);
            const auto name = options->name.value_or(
                *type == DocumentType::Function ? "function" : "app_requirement");
            std::cout << store.create({owner->uid, owner->name}, *type, name, values) << '\n';
            return 0;
        });
    });

    auto* list = documents->add_subcommand("list", "list documents: ID TYPE OWNER NAME");
    list->add_option("--user", options->user, "only this owner's");
    list->add_option("--type", options->type, "only function or app_requirement");
    add_common_options(*list, *options);
    list->callback([options, &exit_status] {
        exit_status =
            run(*options, [&](standalone::SqliteDocumentStore& store, standalone::UserDirectory&) {
                std::optional<DocumentType> type;
                if (!options->type.empty()) {
                    type = type_named(options->type);
                    if (!type) {
                        std::cerr << "ecf documents list: --type is function or app_requirement\n";
                        return 1;
                    }
                }
                for (const auto& document : store.list(options->user, type)) {
                    std::cout << document.id << '\t' << type_name(document.type) << '\t'
                              << document.uname << '\t' << document.name << '\n';
                }
                return 0;
            });
    });

    auto* show = documents->add_subcommand("show", "print one document as JSON");
    show->add_option("id", options->id, "document id")->required();
    add_common_options(*show, *options);
    show->callback([options, &exit_status] {
        exit_status =
            run(*options, [&](standalone::SqliteDocumentStore& store, standalone::UserDirectory&) {
                const auto document = store.find(options->id);
                if (!document) {
                    std::cerr << "ecf documents show: no document " << options->id << '\n';
                    return 1;
                }
                std::cout << json::serialize(describe(*document)) << '\n';
                return 0;
            });
    });

    auto* remove = documents->add_subcommand("remove", "remove one document");
    remove->add_option("id", options->id, "document id")->required();
    add_common_options(*remove, *options);
    remove->callback([options, &exit_status] {
        exit_status =
            run(*options, [&](standalone::SqliteDocumentStore& store, standalone::UserDirectory&) {
                if (!store.remove(options->id)) {
                    std::cerr << "ecf documents remove: no document " << options->id << '\n';
                    return 1;
                }
                std::cout << "removed " << options->id << '\n';
                return 0;
            });
    });
}

}  // namespace ecf::cli
