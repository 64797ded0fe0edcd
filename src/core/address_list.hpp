#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecf {

// A configuration value naming one or several URLs (the `broker` key: the nodes of a RabbitMQ
// cluster). `text` is one URL, or several separated by newlines (a YAML list, as the
// configuration loader hands it) or by commas. A comma separates two URLs only where the next
// one starts with a scheme ("amqp://", "http://", ...), so a single URL whose password holds a
// comma reads exactly as it did before lists. Items are trimmed, empty ones skipped; at most 64
// (std::invalid_argument beyond, never quoting the text).
std::vector<std::string> split_address_list(std::string_view text);

}  // namespace ecf
