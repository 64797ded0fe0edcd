#pragma once

namespace ecf::observability {

// How log lines look: text for people (the default), or one JSON object per line for pipelines
// (configuration key log_format).
enum class LogFormat { Text, Json };

}  // namespace ecf::observability
