#include "standalone/device_api.hpp"

#include <gtest/gtest.h>

#include <biscuit/biscuit.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include "auth/biscuit_token_authorizer.hpp"
#include "auth/fixed_root_key_source.hpp"
#include "core/error.hpp"
#include "standalone/root_key_file.hpp"
#include "standalone/token_issuer.hpp"
#include "temporary_folder.hpp"

namespace ecf::standalone {
namespace {

namespace json = boost::json;

ErrorKind kind_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.kind();
    }
    ADD_FAILURE() << "no ecf::Error";
    return ErrorKind::Internal;
}

TEST(DeviceApiRequirements, FillsTheCognitFrontendsDefaults) {
    const auto values = DeviceApi::requirement_template(json::object{});
    EXPECT_EQ(values.at("FLAVOUR").as_string(), "Nature");
    EXPECT_EQ(values.at("IS_CONFIDENTIAL").as_string(), "False");
    EXPECT_EQ(values.at("MAX_LATENCY").as_string(), "10");
    EXPECT_EQ(values.at("MAX_FUNCTION_EXECUTION_TIME").as_string(), "1.0");
    EXPECT_EQ(values.at("MIN_ENERGY_RENEWABLE_USAGE").as_string(), "80");
    EXPECT_FALSE(values.contains("GEOLOCATION"));
    EXPECT_FALSE(values.contains("ID"));
}

TEST(DeviceApiRequirements, StoresValuesAsOpenNebulaStrings) {
    const auto values = DeviceApi::requirement_template(json::parse(R"({
        "FLAVOUR": "Energy", "MAX_FUNCTION_EXECUTION_TIME": 2.5, "MAX_LATENCY": 45,
        "GEOLOCATION": {"latitude": 43.05, "longitude": -2.53}, "ID": "device-1",
        "IS_CONFIDENTIAL": true, "PROVIDER": ["p1"]})"));
    EXPECT_EQ(values.at("FLAVOUR").as_string(), "Energy");
    EXPECT_EQ(values.at("MAX_FUNCTION_EXECUTION_TIME").as_string(), "2.5");
    EXPECT_EQ(values.at("MAX_LATENCY").as_string(), "45");
    EXPECT_EQ(values.at("GEOLOCATION").as_string(), "43.05,-2.53");
    EXPECT_EQ(values.at("ID").as_string(), "device-1");
    EXPECT_EQ(values.at("IS_CONFIDENTIAL").as_string(), "True");
}

TEST(DeviceApiRequirements, AnswersAsTheAppRequirementsModel) {
    const auto stored = DeviceApi::requirement_template(
        json::parse(R"({"FLAVOUR": "Energy", "GEOLOCATION": "43.05,-2.53", "PROVIDER": ["p1"]})"));
    const auto answer = DeviceApi::requirement_response(stored);
    EXPECT_EQ(answer.at("FLAVOUR").as_string(), "Energy");
    EXPECT_EQ(answer.at("MAX_LATENCY").as_int64(), 10);
    EXPECT_DOUBLE_EQ(answer.at("MAX_FUNCTION_EXECUTION_TIME").as_double(), 1.0);
    EXPECT_EQ(answer.at("IS_CONFIDENTIAL").as_bool(), false);
    EXPECT_TRUE(answer.at("ID").is_null());
    EXPECT_DOUBLE_EQ(answer.at("GEOLOCATION").at("latitude").as_double(), 43.05);
    EXPECT_DOUBLE_EQ(answer.at("GEOLOCATION").at("longitude").as_double(), -2.53);
    EXPECT_EQ(answer.at("PROVIDER").as_array().at(0).as_string(), "p1");
}

TEST(DeviceApiRequirements, ReadsTheOlderNestedGeolocation) {
    const json::object stored{{"FLAVOUR", "Nature"},
                              {"GEOLOCATION", {{"LATITUDE", "1.5"}, {"LONGITUDE", "2"}}}};
    const auto answer = DeviceApi::requirement_response(stored);
    EXPECT_DOUBLE_EQ(answer.at("GEOLOCATION").at("latitude").as_double(), 1.5);
}

TEST(DeviceApiRequirements, RefusesMalformedBodiesWith422) {
    for (const char* body :
         {R"([])", R"({"FLAVOUR": 3})", R"({"FLAVOUR": ""})", R"({"FLAVOUR": "amq.x"})",
          R"({"MAX_LATENCY": "ten"})", R"({"MAX_LATENCY": 1.5})", R"({"GEOLOCATION": "north"})",
          R"({"IS_CONFIDENTIAL": "maybe"})", R"({"PROVIDER": [1]})", R"({"ID": 7})"}) {
        EXPECT_EQ(kind_of([&] { DeviceApi::requirement_template(json::parse(body)); }),
                  ErrorKind::Unprocessable)
            << body;
    }
}

TEST(DeviceApiFunctions, NeedsLangFcAndHash) {
    const auto values = DeviceApi::function_template(
        json::parse(R"({"LANG": "PY", "FC": "gAWV", "FC_HASH": "abc", "EXTRA": 1})"));
    EXPECT_EQ(values.size(), 3u);
    for (const char* body :
         {R"({"FC": "x", "FC_HASH": "h"})", R"({"LANG": "RUST", "FC": "x", "FC_HASH": "h"})",
          R"({"LANG": "PY", "FC": 1, "FC_HASH": "h"})", R"({"LANG": "PY", "FC": "x"})"}) {
        EXPECT_EQ(kind_of([&] { DeviceApi::function_template(json::parse(body)); }),
                  ErrorKind::Unprocessable)
            << body;
    }
}

// The authorizer the ECF uses in standalone mode: src/auth's, over our own fixed key.
class KeyAuthorizer {
  public:
    explicit KeyAuthorizer(const std::string& public_hex)
        : source_(std::make_shared<auth::FixedRootKeySource>(public_hex, std::chrono::seconds(30))),
          authorizer_(source_) {
        run(source_->load());
    }
    Credentials authorize_now(const std::string& token) {
        return run(authorizer_.authorize(token));
    }

  private:
    template <typename T>
    static T run(boost::asio::awaitable<T> work) {
        boost::asio::io_context io;
        auto result = boost::asio::co_spawn(io, std::move(work), boost::asio::use_future);
        io.run_for(std::chrono::seconds(10));
        return result.get();
    }
    std::shared_ptr<auth::FixedRootKeySource> source_;
    auth::BiscuitTokenAuthorizer authorizer_;
};

TEST(StandaloneTokens, IssuedTokensAuthorizeToTheirCredentials) {
    testing::TemporaryFolder folder;
    const auto keys = load_or_create_root_key(folder.path() / "root_key");
    TokenIssuer issuer(keys);
    KeyAuthorizer authorizer(keys.public_hex);
    const auto token = issuer.issue("alice", "pa\"ss)word;");
    const auto credentials = authorizer.authorize_now(token);
    EXPECT_EQ(credentials.user, "alice");
    EXPECT_EQ(credentials.password, "pa\"ss)word;");
    // The COGNIT frontend's authority block, word for word.
    const auto parsed =
        biscuit::Biscuit::from_base64(token, biscuit::PublicKey::from_hex(keys.public_hex));
    const auto text = parsed.print_block(0);
    EXPECT_NE(text.find("user(\"alice\");"), std::string::npos) << text;
    EXPECT_NE(text.find("check if time($time), $time < "), std::string::npos) << text;
}

TEST(StandaloneTokens, RefusesExpiredAndForeignTokens) {
    testing::TemporaryFolder folder;
    const auto keys = load_or_create_root_key(folder.path() / "root_key");
    KeyAuthorizer authorizer(keys.public_hex);
    TokenIssuer expired(keys, std::chrono::seconds(-10));
    EXPECT_EQ(kind_of([&] { authorizer.authorize_now(expired.issue("alice", "p")); }),
              ErrorKind::Unauthorized);
    const auto other = load_or_create_root_key(folder.path() / "other_key");
    TokenIssuer foreign(other);
    EXPECT_EQ(kind_of([&] { authorizer.authorize_now(foreign.issue("alice", "p")); }),
              ErrorKind::Unauthorized);
    EXPECT_EQ(kind_of([&] { authorizer.authorize_now("not a token"); }), ErrorKind::Unauthorized);
}

TEST(DeviceApiLatency, AcceptsAnObjectOfClusterAddressesToFiniteNumbers) {
    const auto report = DeviceApi::latency_report(
        json::parse(R"({"http://10.0.0.1:1339": 12.5, "http://x\n\"y": 3})"));
    EXPECT_NE(report.find("http://10.0.0.1:1339"), std::string::npos);
    // One log line whatever the keys hold: no raw line break or quote.
    EXPECT_EQ(report.find('\n'), std::string::npos);
    EXPECT_TRUE(DeviceApi::latency_report(json::object{}).size() > 0);
}

TEST(DeviceApiLatency, RefusesWhatIsNotABoundedObjectOfNumbers) {
    for (const char* body : {"[]", "3", "null", R"({"a": "12"})", R"({"a": null})",
                             R"({"a": {"b": 1}})", R"({"": 1})", R"({"a": true})"}) {
        EXPECT_EQ(kind_of([&] { DeviceApi::latency_report(json::parse(body)); }),
                  ErrorKind::Unprocessable)
            << body;
    }
    json::object many;
    for (std::size_t i = 0; i <= DeviceApi::kMaxLatencyEntries; ++i) {
        many["http://c" + std::to_string(i)] = 1;
    }
    EXPECT_EQ(kind_of([&] { DeviceApi::latency_report(many); }), ErrorKind::Unprocessable);
    json::object long_key{{std::string(DeviceApi::kMaxLatencyKeyBytes + 1, 'a'), 1}};
    EXPECT_EQ(kind_of([&] { DeviceApi::latency_report(long_key); }), ErrorKind::Unprocessable);
    json::object longest_key{{std::string(DeviceApi::kMaxLatencyKeyBytes, 'a'), 1}};
    EXPECT_NO_THROW(DeviceApi::latency_report(longest_key));
}

}  // namespace
}  // namespace ecf::standalone
