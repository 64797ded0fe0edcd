// Placeholder: replaced by the owner of this command group.
#include "cli/commands.hpp"

namespace ecf::cli {
void add_documents_commands(CLI::App&, int&) {}
}  // namespace ecf::cli
