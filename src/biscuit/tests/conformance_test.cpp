// Every validation of the official conformance samples: parse the token with the samples' root
// key, authorize it with the validation's authorizer code, and compare the outcome (policy
// index, or error kind with its failed checks) and the revocation ids.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/parser.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace {

namespace json = boost::json;

struct Validation {
    std::string dir;   // the sample set's folder
    std::string name;  // test name
    std::string filename;
    std::string authorizer_code;
    json::value result;
    std::vector<std::string> revocation_ids;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const json::value& samples(const std::string& dir) {
    static std::map<std::string, json::value> loaded;
    auto it = loaded.find(dir);
    if (it == loaded.end())
        it = loaded.emplace(dir, json::parse(read_file(dir + "/samples.json"))).first;
    return it->second;
}

std::vector<Validation> load_validations(const std::string& dir) {
    std::vector<Validation> out;
    for (const auto& tc : samples(dir).at("testcases").as_array()) {
        std::string filename(tc.at("filename").as_string());
        for (const auto& [key, v] : tc.at("validations").as_object()) {
            Validation val;
            val.dir = dir;
            val.filename = filename;
            val.name = filename.substr(0, filename.find('.'));
            std::string suffix(key);
            for (char& c : suffix)
                if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
            if (!suffix.empty()) val.name += "_" + suffix;
            val.authorizer_code = std::string(v.at("authorizer_code").as_string());
            val.result = v.at("result");
            for (const auto& id : v.at("revocation_ids").as_array())
                val.revocation_ids.emplace_back(id.as_string());
            out.push_back(std::move(val));
        }
    }
    return out;
}

// The outcome in the samples' JSON shape, to compare as a whole.
json::value describe(const biscuit::Error& e) {
    json::object inner;
    if (e.kind() == biscuit::ErrorKind::FailedLogic &&
        (e.sub_kind() == "Unauthorized" || e.sub_kind() == "NoMatchingPolicy")) {
        json::array checks;
        for (const auto& c : e.failed_checks()) {
            if (c.origin == biscuit::FailedCheck::Origin::Block)
                checks.push_back(
                    json::object{{"Block", json::object{{"block_id", std::int64_t(c.block_id)},
                                                        {"check_id", std::int64_t(c.check_id)},
                                                        {"rule", c.rule}}}});
            else
                checks.push_back(
                    json::object{{"Authorizer", json::object{{"check_id", std::int64_t(c.check_id)},
                                                             {"rule", c.rule}}}});
        }
        json::object body{{"checks", checks}};
        if (e.sub_kind() == "Unauthorized" && e.policy()) {
            body["policy"] = json::object{
                {e.policy()->kind == biscuit::MatchedPolicy::Kind::Allow ? "Allow" : "Deny",
                 std::int64_t(e.policy()->index)}};
        }
        inner[e.sub_kind()] = body;
        return json::object{{"Err", json::object{{"FailedLogic", inner}}}};
    }
    if (e.kind() == biscuit::ErrorKind::FailedLogic && e.sub_kind() == "InvalidBlockRule") {
        return json::object{
            {"Err",
             json::object{{"FailedLogic", json::object{{"InvalidBlockRule",
                                                        json::array{std::int64_t(*e.rule_index()),
                                                                    e.rule_text()}}}}}}};
    }
    return json::object{{"Err", json::object{{std::string(e.kind_name()), e.sub_kind()}}}};
}

// The samples' expected error reduced to the same shape as describe() gives for errors whose
// details are implementation-specific text (Format, Execution, RunLimit): kind and sub-kind.
json::value normalize_expected(const json::value& result) {
    if (!result.is_object() || !result.as_object().contains("Err")) return result;
    const auto& err = result.at("Err").as_object();
    const auto& [kind, body] = *err.begin();
    if (kind == "FailedLogic") return result;
    std::string sub;
    if (body.is_string()) {
        sub = body.as_string();
    } else if (body.is_object()) {
        const auto& [k, v] = *body.as_object().begin();
        sub = k;
        if (k == "Signature" && v.is_object())
            sub += "/" + std::string(v.as_object().begin()->key());
    }
    return json::object{{"Err", json::object{{std::string(kind), sub}}}};
}

// GoogleTest prints a parameter in its logs: by name, not as raw bytes.
void PrintTo(const Validation& v, std::ostream* os) {
    *os << v.name;
}

class Conformance : public ::testing::TestWithParam<Validation> {};

TEST_P(Conformance, MatchesTheReference) {
    const Validation& v = GetParam();
    const std::string raw = read_file(v.dir + "/" + v.filename);
    ASSERT_FALSE(raw.empty()) << v.filename;
    const auto root =
        biscuit::PublicKey::from_hex(std::string(samples(v.dir).at("root_public_key").as_string()));
    const json::value expected = normalize_expected(v.result);

    json::value actual;
    std::vector<std::string> revocation_ids;
    try {
        auto token = biscuit::Biscuit::from_bytes(
            std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()), root);
        revocation_ids = token.revocation_ids();
        biscuit::Authorizer authorizer;
        // The reference's fact and iteration limits, but time enough for a sanitizer build on a
        // loaded machine: 1 ms of wall time there is not a RunLimit the samples mean.
        biscuit::datalog::RunLimits limits;
        limits.max_time = std::chrono::seconds(5);
        authorizer.set_limits(limits);
        authorizer.add_token(token);
        authorizer.add_code(v.authorizer_code);
        actual = json::object{{"Ok", std::int64_t(authorizer.authorize())}};
    } catch (const biscuit::Error& e) {
        actual = describe(e);
    }
    EXPECT_TRUE(actual == expected)
        << "actual:   " << json::serialize(actual) << "\nexpected: " << json::serialize(expected);
    if (!revocation_ids.empty()) {
        EXPECT_EQ(revocation_ids, v.revocation_ids);
    }
}

std::string validation_name(const ::testing::TestParamInfo<Validation>& info) {
    return info.param.name;
}

// The released samples (specification v3.2) and the Datalog 3.3 ones (branch `dev`).
INSTANTIATE_TEST_SUITE_P(Samples, Conformance,
                         ::testing::ValuesIn(load_validations(BISCUIT_SAMPLES_DIR)),
                         validation_name);
INSTANTIATE_TEST_SUITE_P(SamplesV33, Conformance,
                         ::testing::ValuesIn(load_validations(BISCUIT_SAMPLES_V33_DIR)),
                         validation_name);

TEST(ConformanceSamples, AreAllThere) {
    EXPECT_EQ(load_validations(BISCUIT_SAMPLES_DIR).size(), 32u);
    EXPECT_EQ(load_validations(BISCUIT_SAMPLES_V33_DIR).size(), 43u);
}

}  // namespace
