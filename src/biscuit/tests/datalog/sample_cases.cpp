#include "sample_cases.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace biscuit_test {

std::vector<SampleCase> load_samples() {
    std::ifstream in(BISCUIT_SAMPLES_DIR "/samples.json");
    if (!in) throw std::runtime_error("cannot open samples.json");
    std::stringstream ss;
    ss << in.rdbuf();
    const boost::json::value root = boost::json::parse(ss.str());
    std::vector<SampleCase> out;
    for (const auto& tc : root.at("testcases").as_array()) {
        SampleCase c;
        c.title = std::string(tc.at("title").as_string());
        c.filename = std::string(tc.at("filename").as_string());
        for (const auto& b : tc.at("token").as_array()) {
            SampleBlock block;
            block.code = std::string(b.at("code").as_string());
            if (b.at("external_key").is_string())
                block.external_key = std::string(b.at("external_key").as_string());
            c.blocks.push_back(std::move(block));
        }
        for (const auto& [name, v] : tc.at("validations").as_object()) {
            SampleValidation val;
            val.name = std::string(name);
            val.authorizer_code = std::string(v.at("authorizer_code").as_string());
            val.result_json = boost::json::serialize(v.at("result"));
            const auto& world = v.at("world");
            if (world.is_object()) {
                for (const auto& group : world.at("facts").as_array()) {
                    std::vector<std::uint64_t> origin;
                    for (const auto& o : group.at("origin").as_array())
                        origin.push_back(o.is_null() ? UINT64_MAX : o.to_number<std::uint64_t>());
                    std::sort(origin.begin(), origin.end());
                    for (const auto& f : group.at("facts").as_array())
                        val.world_facts.emplace_back(origin, std::string(f.as_string()));
                }
                for (const auto& r : world.at("rules").as_array())
                    for (const auto& s : r.at("rules").as_array())
                        val.world_rules.emplace_back(s.as_string());
                for (const auto& r : world.at("checks").as_array())
                    for (const auto& s : r.at("checks").as_array())
                        val.world_checks.emplace_back(s.as_string());
                for (const auto& s : world.at("policies").as_array())
                    val.world_policies.emplace_back(s.as_string());
            }
            c.validations.push_back(std::move(val));
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace biscuit_test
