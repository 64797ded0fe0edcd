#pragma once

// The conformance samples (testdata/biscuit-samples/samples.json), read for Datalog-level tests.

#include <optional>
#include <string>
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
};

struct SampleCase {
    std::string title;
    std::string filename;
    std::vector<SampleBlock> blocks;
    std::vector<SampleValidation> validations;
};

std::vector<SampleCase> load_samples();

}  // namespace biscuit_test
