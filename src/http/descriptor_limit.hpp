#pragma once

#include <cstddef>

namespace ecf::http {

// Raises the soft limit on open file descriptors to the hard limit (each connection takes one)
// and returns the soft limit in force afterwards.
std::size_t raise_descriptor_limit();

// The connections the server may hold with `descriptors` open files: the configured number,
// but never so many that the descriptors left for outgoing connections (broker, OpenNebula),
// files and the listener run out. A quarter of the descriptors, at most 256, stay free.
std::size_t connection_limit(std::size_t configured, std::size_t descriptors);

}  // namespace ecf::http
