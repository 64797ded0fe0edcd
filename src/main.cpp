// The `ecf` binary: the Edge Cluster Frontend server and its operator's command line.
// Each subcommand lives in src/cli/; this file only wires them together.
#include <algorithm>
#include <string>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Edge Cluster Frontend of the COGNIT platform"};
    app.require_subcommand(0, 1);
    int exit_status = 0;
    ecf::cli::add_serve_command(app, exit_status);
    ecf::cli::add_token_commands(app, exit_status);
    ecf::cli::add_documents_commands(app, exit_status);
    ecf::cli::add_users_commands(app, exit_status);

    // Plain `ecf`, or `ecf --config FILE`, serves: a deployment written for the original starts
    // the binary with no subcommand.
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || (args[0].starts_with("-") && args[0] != "-h" && args[0] != "--help")) {
        args.insert(args.begin(), "serve");
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? 0 : 2;  // 2: usage error
    }
    return exit_status;
}
