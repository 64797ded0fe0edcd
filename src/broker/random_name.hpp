#pragma once

#include <string>

namespace ecf::broker {

// 64 random bits as 16 hex digits: parts of names no one else uses (this instance's result queue,
// the routing key of a probe).
std::string random_hex64();

// A random uuid4 in its canonical form, from the same generator: the probe's routing key, which
// must look like a request id (not a secret: no one waits on it).
std::string random_uuid4_text();

}  // namespace ecf::broker
