#pragma once

#include <CLI/CLI.hpp>

namespace ecf::cli {

// Each group of subcommands of the `ecf` binary registers itself here. A subcommand's callback
// sets the process's exit status through the int it is given.
void add_serve_command(CLI::App& app, int& exit_status);       // ecf serve (the default)
void add_token_commands(CLI::App& app, int& exit_status);      // ecf token ...
void add_documents_commands(CLI::App& app, int& exit_status);  // ecf documents ...
void add_users_commands(CLI::App& app, int& exit_status);      // ecf users ...

}  // namespace ecf::cli
