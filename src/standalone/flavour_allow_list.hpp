#pragma once

#include "core/flavour_allow_list.hpp"

namespace ecf::standalone {

// Shared with the execution path (src/core/flavour_allow_list.hpp).
using ecf::FlavourAllowList;

}  // namespace ecf::standalone
