// `ecf users add|remove|list`: the local users of standalone mode (data_dir/users).
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "standalone/operator_options.hpp"
#include "standalone/user_directory.hpp"

namespace ecf::cli {

namespace {

struct UsersOptions {
    std::optional<std::string> config_path;
    std::optional<std::string> data_dir;
    std::string name;
    bool password_stdin = false;
};

// Reads a password from the terminal without echoing it.
std::optional<std::string> prompt_password(const char* prompt) {
    std::cerr << prompt << std::flush;
    termios saved{};
    const bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string password;
    const bool read = static_cast<bool>(std::getline(std::cin, password));
    if (terminal) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << '\n';
    if (!read) return std::nullopt;
    return password;
}

std::optional<std::string> read_password(bool from_stdin) {
    if (from_stdin) {
        std::string password;
        if (!std::getline(std::cin, password)) return std::nullopt;
        if (!password.empty() && password.back() == '\r') password.pop_back();
        return password;
    }
    if (!::isatty(STDIN_FILENO)) {
        std::cerr << "ecf users add: no terminal to ask the password on; use --password-stdin\n";
        return std::nullopt;
    }
    auto first = prompt_password("Password: ");
    auto second = first ? prompt_password("Password again: ") : std::nullopt;
    if (!first || !second || *first != *second) {
        std::cerr << "ecf users add: the passwords differ\n";
        return std::nullopt;
    }
    return first;
}

template <typename Action>
int run(const UsersOptions& options, Action action) {
    try {
        const auto folder = standalone::operator_data_dir(options.config_path, options.data_dir);
        // The server creates data_dir on its first start; users may be added before that.
        if (std::filesystem::create_directories(folder)) {
            // It will hold password hashes and the root key: owner only, as the server makes it.
            std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
        }
        standalone::UserDirectory users(folder / "users");
        return action(users);
    } catch (const std::exception& e) {
        std::cerr << "ecf users: " << e.what() << '\n';
        return 1;
    }
}

void add_common_options(CLI::App& command, UsersOptions& options) {
    command.add_option("--config", options.config_path,
                       "configuration file whose data_dir holds the users");
    command.add_option("--data-dir", options.data_dir,
                       "standalone data folder (overrides --config)");
}

}  // namespace

void add_users_commands(CLI::App& app, int& exit_status) {
    auto options = std::make_shared<UsersOptions>();
    auto* users = app.add_subcommand("users", "local users of standalone mode");
    users->require_subcommand(1);

    auto* add = users->add_subcommand("add", "add a user, or set the password of one");
    add->add_option("name", options->name, "user name")->required();
    add->add_flag("--password-stdin", options->password_stdin,
                  "read the password from the first line of standard input");
    add_common_options(*add, *options);
    add->callback([options, &exit_status] {
        exit_status = run(*options, [&](standalone::UserDirectory& directory) {
            if (!standalone::UserDirectory::valid_name(options->name)) {
                std::cerr << "ecf users add: a user name is 1 to 128 letters, digits, '_', '-', "
                             "'.' or '@'\n";
                return 1;
            }
            const auto password = read_password(options->password_stdin);
            if (!password) return 1;
            if (password->empty()) {
                std::cerr << "ecf users add: the password is empty\n";
                return 1;
            }
            const bool existed = directory.find(options->name).has_value();
            const auto uid = directory.add(options->name, *password);
            std::cout << (existed ? "password changed for " : "added ") << options->name << " (uid "
                      << uid << ")\n";
            return 0;
        });
    });

    auto* remove = users->add_subcommand("remove", "remove a user (their documents stay)");
    remove->add_option("name", options->name, "user name")->required();
    add_common_options(*remove, *options);
    remove->callback([options, &exit_status] {
        exit_status = run(*options, [&](standalone::UserDirectory& directory) {
            if (!directory.remove(options->name)) {
                std::cerr << "ecf users remove: no user " << options->name << '\n';
                return 1;
            }
            std::cout << "removed " << options->name << '\n';
            return 0;
        });
    });

    auto* list = users->add_subcommand("list", "list the users (never their passwords)");
    add_common_options(*list, *options);
    list->callback([options, &exit_status] {
        exit_status = run(*options, [&](standalone::UserDirectory& directory) {
            for (const auto& user : directory.list()) {
                std::cout << user.uid << '\t' << user.name << '\n';
            }
            return 0;
        });
    });
}

}  // namespace ecf::cli
