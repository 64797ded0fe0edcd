#pragma once

#include <string>

namespace ecf::broker {

// 64 random bits as 16 hex digits: parts of names no one else uses (this instance's result queue,
// the routing key of a probe).
std::string random_hex64();

}  // namespace ecf::broker
