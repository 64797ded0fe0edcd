#pragma once

// The conformance samples (testdata/biscuit-samples/samples.json), read for Datalog-level tests.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace biscuit_test {

struct SampleBlock {
    std::string code;
    std::optional<std::string> external_key;  // `ed25519/<hex>`
};

struct SampleValidation {
    std::string name;
    std::string authorizer_code;
    std::string result_json;  // the expected `result` object, serialized
    std::vector<std::string> world_rules, world_checks, world_policies;  // printed forms
    // (origin block ids, printed fact); the authorizer's origin is UINT64_MAX.
    std::vector<std::pair<std::vector<std::uint64_t>, std::string>> world_facts;
};

struct SampleCase {
    std::string title;
    std::string filename;
    std::vector<SampleBlock> blocks;
    std::vector<SampleValidation> validations;
};

std::vector<SampleCase> load_samples();

}  // namespace biscuit_test
