// Placeholder: replaced by the owner of this command group.
#include "cli/commands.hpp"

namespace ecf::cli {
void add_serve_command(CLI::App&, int&) {}
}  // namespace ecf::cli
