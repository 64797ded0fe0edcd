#include "config/config_loader.hpp"

#include <gtest/gtest.h>

#include <map>

namespace ecf::config {
namespace {

EnvironmentLookup environment_of(std::map<std::string, std::string> variables) {
    return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
        auto it = variables.find(std::string(name));
        if (it == variables.end()) return std::nullopt;
        return it->second;
    };
}

const EnvironmentLookup no_environment = environment_of({});

TEST(ConfigLoader, EmptyTextGivesDefaultsAndStandalone) {
    auto loaded = load_config_text("", no_environment);
    EXPECT_EQ(loaded.config.port, 1339);
    EXPECT_EQ(loaded.config.host, "0.0.0.0");
    EXPECT_TRUE(loaded.config.standalone());
    EXPECT_TRUE(loaded.warnings.empty());
}

TEST(ConfigLoader, TheOriginalsFileLoadsUnchanged) {
    const char* original = R"(host: 0.0.0.0
port: 1339
one_xmlrpc: http://localhost:2633/RPC2
oneflow: http://localhost:2474
cognit_frontend: http://localhost:1338
cluster_id: 0
broker: http://localhost:5672
workers: 1
log_level: info
)";
    auto loaded = load_config_text(original, no_environment);
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_FALSE(loaded.config.standalone());
    EXPECT_EQ(*loaded.config.one_xmlrpc, "http://localhost:2633/RPC2");
    EXPECT_EQ(*loaded.config.cognit_frontend, "http://localhost:1338");
    EXPECT_EQ(loaded.config.workers, 1u);
    EXPECT_EQ(loaded.config.broker, std::vector<std::string>{"http://localhost:5672"});
}

TEST(ConfigLoader, EnvironmentOverridesTheFile) {
    auto loaded = load_config_text(
        "port: 1339\nlog_level: info\n",
        environment_of(
            {{"ECF_PORT", "8080"}, {"ECF_LOG_LEVEL", "DEBUG"}, {"ECF_EXECUTION_TIMEOUT", "2.5"}}));
    EXPECT_EQ(loaded.config.port, 8080);
    EXPECT_EQ(loaded.config.log_level, "debug");
    EXPECT_EQ(loaded.config.execution_timeout, std::chrono::milliseconds(2500));
}

TEST(ConfigLoader, DecimalSecondsForDurations) {
    auto loaded = load_config_text("queue_allowance: 0.25\nidle_timeout: 3\n", no_environment);
    EXPECT_EQ(loaded.config.queue_allowance, std::chrono::milliseconds(250));
    EXPECT_EQ(loaded.config.idle_timeout, std::chrono::milliseconds(3000));
}

TEST(ConfigLoader, BrokerWriteTimeout) {
    EXPECT_EQ(load_config_text("", no_environment).config.broker_write_timeout,
              std::chrono::milliseconds(10'000));
    auto loaded = load_config_text("broker_write_timeout: 2.5\n", no_environment);
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_EQ(loaded.config.broker_write_timeout, std::chrono::milliseconds(2500));
}

TEST(ConfigLoader, TokenKeys) {
    auto defaults = load_config_text("", no_environment).config;
    EXPECT_EQ(defaults.token_cache_entries, 10'000u);
    EXPECT_FALSE(defaults.revocation_file);
    auto loaded = load_config_text("token_cache_entries: 0\nrevocation_file: /etc/ecf/revoked\n",
                                   no_environment);
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_EQ(loaded.config.token_cache_entries, 0u);
    EXPECT_EQ(loaded.config.revocation_file, "/etc/ecf/revoked");
}

TEST(ConfigLoader, AsyncKeys) {
    auto defaults = load_config_text("", no_environment).config;
    EXPECT_EQ(defaults.async_mode, "sync");
    EXPECT_EQ(defaults.async_result_ttl, std::chrono::minutes(10));
    EXPECT_EQ(defaults.async_max_results, 100'000u);
    auto loaded = load_config_text(
                      "async_mode: accepted\nasync_result_ttl: 1.5\nasync_max_results: 7\n"
                      "async_max_result_bytes: 4096\nasync_store_bytes: 65536\n",
                      no_environment)
                      .config;
    EXPECT_EQ(loaded.async_mode, "accepted");
    EXPECT_EQ(loaded.async_result_ttl, std::chrono::milliseconds(1500));
    EXPECT_EQ(loaded.async_max_results, 7u);
    EXPECT_EQ(loaded.async_max_result_bytes, 4096u);
    EXPECT_EQ(loaded.async_store_bytes, 65536u);
    EXPECT_THROW(load_config_text("async_mode: later\n", no_environment), ConfigError);
    EXPECT_THROW(load_config_text("async_max_results: 0\n", no_environment), ConfigError);
}

TEST(ConfigLoader, UnknownKeysAreWarnedAbout) {
    auto loaded = load_config_text("colour: blue\nport: 1\n", no_environment);
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_NE(loaded.warnings[0].find("colour"), std::string::npos);
}

void expect_refused(const std::string& yaml, const std::string& key) {
    try {
        load_config_text(yaml, no_environment);
        FAIL() << "accepted: " << yaml;
    } catch (const ConfigError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(ConfigLoader, InvalidValuesAreRefusedNamingTheKey) {
    expect_refused("port: 70000\n", "port");
    expect_refused("port: abc\n", "port");
    expect_refused("workers: -1\n", "workers");
    expect_refused("log_level: loud\n", "log_level");
    expect_refused("execution_timeout: 0\n", "execution_timeout");
    expect_refused("execution_timeout: -3\n", "execution_timeout");
    expect_refused("queue_allowance: soon\n", "queue_allowance");
    expect_refused("one_xmlrpc: not a url\n", "one_xmlrpc");
    expect_refused("cognit_frontend: ftp://x\n", "cognit_frontend");
    expect_refused("max_body_bytes: 0\n", "max_body_bytes");
    expect_refused("max_small_body_bytes: 0\n", "max_small_body_bytes");
    expect_refused("max_connections_per_address: 0\n", "max_connections_per_address");
    expect_refused("host: [a, b]\n", "host");
}

TEST(ConfigLoader, HttpLimitKeys) {
    auto defaults = load_config_text("", no_environment).config;
    EXPECT_EQ(defaults.max_small_body_bytes, 64u * 1024u);
    EXPECT_EQ(defaults.max_connections_per_address, 256u);
    auto set = load_config_text("max_small_body_bytes: 1000\nmax_connections_per_address: 8\n",
                                no_environment)
                   .config;
    EXPECT_EQ(set.max_small_body_bytes, 1000u);
    EXPECT_EQ(set.max_connections_per_address, 8u);
}

TEST(ConfigLoader, InvalidEnvironmentValueIsRefused) {
    EXPECT_THROW(load_config_text("", environment_of({{"ECF_PORT", "x"}})), ConfigError);
}

TEST(ConfigLoader, BrokenYamlIsRefused) {
    EXPECT_THROW(load_config_text("port: [1\n", no_environment), ConfigError);
    EXPECT_THROW(load_config_text("- a\n- b\n", no_environment), ConfigError);
}

TEST(ConfigLoader, MissingFileMeansDefaultsUnlessRequired) {
    auto loaded = load_config_file("/nonexistent/ecf.conf", false, no_environment);
    EXPECT_EQ(loaded.config.port, 1339);
    EXPECT_THROW(load_config_file("/nonexistent/ecf.conf", true, no_environment), ConfigError);
}

TEST(ConfigLoader, NamingOnlyOneBackendLeavesStandalone) {
    auto loaded = load_config_text("one_xmlrpc: http://one:2633/RPC2\n", no_environment);
    EXPECT_FALSE(loaded.config.standalone());
    EXPECT_EQ(loaded.config.cognit_frontend_or_default(), "http://localhost:1338");
}

TEST(ConfigLoader, StandaloneQuotaAndFlavourKeys) {
    auto defaults = load_config_text("", no_environment).config;
    EXPECT_EQ(defaults.max_documents_per_user, 1000u);
    EXPECT_TRUE(defaults.flavours.empty());  // any flavour
    auto set =
        load_config_text("max_documents_per_user: 5\nflavours: [Nature, Energy]\n", no_environment)
            .config;
    EXPECT_EQ(set.max_documents_per_user, 5u);
    EXPECT_EQ(set.flavours, (std::vector<std::string>{"Nature", "Energy"}));
    auto one = load_config_text("flavours: Nature\n", no_environment).config;
    EXPECT_EQ(one.flavours, (std::vector<std::string>{"Nature"}));
    auto from_environment = load_config_text("", environment_of({{"ECF_FLAVOURS", "A, B"}})).config;
    EXPECT_EQ(from_environment.flavours, (std::vector<std::string>{"A", "B"}));
    EXPECT_THROW(load_config_text("flavours: [amq.direct]\n", no_environment), ConfigError);
    EXPECT_THROW(load_config_text("flavours: [[a]]\n", no_environment), ConfigError);
    EXPECT_THROW(load_config_text("port: [1]\n", no_environment), ConfigError);
    EXPECT_THROW(load_config_text("max_documents_per_user: 0\n", no_environment), ConfigError);
}

TEST(ConfigLoader, TlsFileKeys) {
    const auto defaults = load_config_text("", no_environment).config;
    EXPECT_EQ(defaults.backend_ca_file, "");  // the system's store
    EXPECT_EQ(defaults.broker_ca_file, "/etc/ssl/certs/ca-certificates.crt");
    EXPECT_EQ(defaults.broker_cert_file, "");
    const auto loaded = load_config_text(
        "backend_ca_file: /etc/ecf/one-ca.pem\nbackend_cert_file: /etc/ecf/ecf.pem\n"
        "backend_key_file: /etc/ecf/ecf.key\nbroker_ca_file: /etc/ecf/broker-ca.pem\n"
        "broker_cert_file: /etc/ecf/client.pem\n",
        environment_of({{"ECF_BROKER_KEY_FILE", "/etc/ecf/client.key"}}));
    EXPECT_TRUE(loaded.warnings.empty());
    EXPECT_EQ(loaded.config.backend_ca_file, "/etc/ecf/one-ca.pem");
    EXPECT_EQ(loaded.config.backend_cert_file, "/etc/ecf/ecf.pem");
    EXPECT_EQ(loaded.config.backend_key_file, "/etc/ecf/ecf.key");
    EXPECT_EQ(loaded.config.broker_ca_file, "/etc/ecf/broker-ca.pem");
    EXPECT_EQ(loaded.config.broker_cert_file, "/etc/ecf/client.pem");
    EXPECT_EQ(loaded.config.broker_key_file, "/etc/ecf/client.key");
    // Named with no value: the default stands.
    EXPECT_EQ(load_config_text("broker_ca_file:\n", no_environment).config.broker_ca_file,
              "/etc/ssl/certs/ca-certificates.crt");
}

TEST(ConfigLoader, BrokerTakesAClustersNodes) {
    const auto list = load_config_text("broker:\n  - amqp://ecf:a,b@r1:5672/\n  - http://r2:5672\n",
                                       no_environment);
    EXPECT_EQ(list.config.broker,
              (std::vector<std::string>{"amqp://ecf:a,b@r1:5672/", "http://r2:5672"}));
    const auto comma =
        load_config_text("", environment_of({{"ECF_BROKER", "amqp://r1:5672, amqp://r2:5673"}}));
    EXPECT_EQ(comma.config.broker, (std::vector<std::string>{"amqp://r1:5672", "amqp://r2:5673"}));
    EXPECT_THROW(load_config_text("broker: [amqp://r1, not a url]\n", no_environment), ConfigError);
    EXPECT_THROW(load_config_text("broker: []\n", no_environment), ConfigError);
}

TEST(ConfigLoader, SharedResultsIsABoolean) {
    EXPECT_TRUE(load_config_text("", no_environment).config.shared_results);
    EXPECT_FALSE(load_config_text("shared_results: false\n", no_environment).config.shared_results);
    EXPECT_THROW(load_config_text("shared_results: maybe\n", no_environment), ConfigError);
}

}  // namespace
}  // namespace ecf::config
