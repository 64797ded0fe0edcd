// Every conformance sample, at the Datalog level: blocks are parsed from their printed source
// (the wire format is tested elsewhere), evaluated with the sample's authorizer, and the outcome
// is compared with the expected result in the reference's JSON shape.
#include <gtest/gtest.h>

#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>
#include <biscuit/datalog/printer.hpp>
#include <boost/json.hpp>

#include "sample_cases.hpp"

namespace bd = biscuit::datalog;

namespace {

boost::json::value failed_check_json(const biscuit::FailedCheck& c) {
    boost::json::object inner;
    if (c.origin == biscuit::FailedCheck::Origin::Block) {
        inner["block_id"] = c.block_id;
        inner["check_id"] = c.check_id;
        inner["rule"] = c.rule;
        return boost::json::object{{"Block", inner}};
    }
    inner["check_id"] = c.check_id;
    inner["rule"] = c.rule;
    return boost::json::object{{"Authorizer", inner}};
}

boost::json::value outcome_json(const bd::AuthorizationOutcome& outcome) {
    if (outcome.ok()) return boost::json::object{{"Ok", outcome.policy_index()}};
    const biscuit::Error& e = *outcome.error();
    boost::json::value detail;
    if (e.kind() == biscuit::ErrorKind::FailedLogic) {
        boost::json::array checks;
        for (const auto& c : e.failed_checks()) checks.push_back(failed_check_json(c));
        if (e.sub_kind() == "Unauthorized") {
            boost::json::object policy{
                {e.policy()->kind == biscuit::MatchedPolicy::Kind::Allow ? "Allow" : "Deny",
                 e.policy()->index}};
            detail = boost::json::object{
                {"Unauthorized", boost::json::object{{"policy", policy}, {"checks", checks}}}};
        } else if (e.sub_kind() == "NoMatchingPolicy") {
            detail = boost::json::object{{"NoMatchingPolicy", {{"checks", checks}}}};
        } else if (e.sub_kind() == "InvalidBlockRule") {
            detail = boost::json::object{
                {"InvalidBlockRule", boost::json::array{*e.rule_index(), e.rule_text()}}};
        } else {
            detail = boost::json::string(e.sub_kind());
        }
    } else {
        detail = boost::json::string(e.sub_kind());
    }
    return boost::json::object{{"Err", {{std::string(e.kind_name()), detail}}}};
}

}  // namespace

TEST(BiscuitSamples, DatalogOutcomesMatchTheReference) {
    int compared = 0;
    for (const auto& c : biscuit_test::load_samples()) {
        for (const auto& v : c.validations) {
            const boost::json::value expected = boost::json::parse(v.result_json);
            // Wire-level failures (signatures, formats) are not a Datalog matter.
            if (expected.as_object().contains("Err") &&
                expected.at("Err").as_object().contains("Format"))
                continue;
            SCOPED_TRACE(c.filename + " / " + v.name);
            std::vector<bd::TokenBlock> blocks;
            bd::Parameters lenient;
            lenient.allow_unsafe_rules = true;  // test018 holds an unsafe rule on purpose
            for (const auto& b : c.blocks) {
                bd::TokenBlock tb{bd::parse_block(b.code, lenient), std::nullopt};
                if (b.external_key) tb.external_key = bd::parse_public_key(*b.external_key);
                blocks.push_back(std::move(tb));
            }
            const bd::AuthorizerCode code = bd::parse_authorizer(v.authorizer_code);
            // Generous time: a loaded test machine must not turn into a Timeout.
            bd::RunLimits limits;
            limits.max_time = std::chrono::seconds(5);
            const auto outcome = bd::authorize(blocks, code, limits);
            EXPECT_EQ(boost::json::serialize(outcome_json(outcome)),
                      boost::json::serialize(expected));
            ++compared;
            if (v.world_facts.empty()) continue;
            std::vector<std::pair<std::vector<std::uint64_t>, std::string>> facts;
            for (const auto& f : outcome.world().facts)
                facts.emplace_back(f.origin, bd::to_string(f.fact));
            auto expected_facts = v.world_facts;
            std::sort(facts.begin(), facts.end());
            std::sort(expected_facts.begin(), expected_facts.end());
            EXPECT_EQ(facts, expected_facts);
        }
    }
    EXPECT_GE(compared, 24);
}
