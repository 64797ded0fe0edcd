#pragma once

#include <string>
#include <vector>

#include "runtime/process_run.hpp"

namespace ecf::runtime {

// What a function run by `--exec` may see of the worker: building blocks of its ProcessLimits.

// The environment of the function: PATH and LANG, plus the worker's own value of each name in
// `passed` that is set (`--pass-env NAME`). Nothing else: the worker's environment may hold the
// broker's password.
std::vector<std::string> clean_environment(const std::vector<std::string>& passed);

// The account `name` (`--exec-user`). Throws ecf::Error(Internal) when there is no such user,
// or when it is root.
ProcessUser lookup_user(const std::string& name);

// The broker URL from `path` (`--broker-file`): its first line, trimmed. The file must belong to
// this process's user and be readable by nobody else (mode 0600 or 0400), since it holds the
// broker's password. Throws ecf::Error(Internal) saying why, never quoting the file.
std::string read_broker_file(const std::string& path);

}  // namespace ecf::runtime
