#pragma once

#include <string>

namespace ecf::execution {

// A random (version 4) UUID in its canonical text form, from OpenSSL's CSPRNG: request ids name
// result routing keys, so they must not be guessable by another client of the broker.
std::string make_uuid4();

}  // namespace ecf::execution
