#include "standalone/standalone_services.hpp"

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "auth/biscuit_token_authorizer.hpp"
#include "auth/fixed_root_key_source.hpp"
#include "core/error.hpp"
#include "standalone/async_credential_verifier.hpp"
#include "standalone/device_api.hpp"
#include "standalone/root_key_file.hpp"
#include "standalone/sqlite_document_store.hpp"
#include "standalone/token_issuer.hpp"
#include "standalone/user_directory.hpp"

namespace ecf::standalone {

namespace {

// Remembered password checks: long enough that a device's burst of requests costs one Argon2id
// hash, short enough that a changed password is never trusted for long (it is also checked
// against the stored hash on every use).
constexpr std::chrono::seconds kRememberChecksFor{60};
constexpr std::size_t kRememberedChecks = 10'000;
constexpr std::size_t kHashingThreads = 1;
constexpr std::size_t kWaitingHashes = 64;

void prepare_data_dir(const std::filesystem::path& folder) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec || !std::filesystem::is_directory(folder)) {
        throw Error(ErrorKind::Internal, "data_dir " + folder.string() + " cannot be created");
    }
    // The folder holds the root key and the password hashes: owner only.
    ::chmod(folder.c_str(), 0700);
}

// The root key source of standalone mode: our own public key, fixed. Loading it does no I/O, so
// it is done here, on a private io_context, before the server runs.
std::shared_ptr<auth::RootKeySource> load_fixed_key(const std::string& public_hex,
                                                    std::chrono::milliseconds reload_interval) {
    auto source = std::make_shared<auth::FixedRootKeySource>(public_hex, reload_interval);
    boost::asio::io_context io;
    auto loaded = boost::asio::co_spawn(io, source->load(), boost::asio::use_future);
    io.run();
    loaded.get();
    return source;
}

}  // namespace

void StandaloneServices::add_routes(http::Router& router) const {
    if (device_api) device_api->add_routes(router);
}

StandaloneServices make_standalone_services(const config::Config& config,
                                            boost::asio::any_io_executor /*executor*/) {
    const std::filesystem::path folder(config.data_dir);
    prepare_data_dir(folder);
    auto store = std::make_shared<SqliteDocumentStore>(folder / "documents.sqlite");
    auto users = std::make_shared<UserDirectory>(folder / "users");
    auto verifier = std::make_shared<AsyncCredentialVerifier>(
        std::make_shared<CredentialVerifier>(users, kRememberChecksFor, kRememberedChecks),
        kHashingThreads, kWaitingHashes);
    auto documents = std::make_shared<StandaloneDocumentSource>(store, verifier);
    const auto keys = load_or_create_root_key(folder / "root_key");
    auto issuer = std::make_shared<TokenIssuer>(keys);
    auto tokens = std::make_shared<auth::BiscuitTokenAuthorizer>(
        load_fixed_key(keys.public_hex, config.public_key_reload_interval),
        auth::BiscuitTokenAuthorizerOptions{
            .cache_entries = config.token_cache_entries,
            .revocations = auth::revocation_list_of(config.revocation_file)});

    StandaloneServices services;
    services.documents = documents;
    services.tokens = tokens;
    services.public_key_hex = keys.public_hex;
    services.device_api =
        std::make_shared<DeviceApi>(store, documents, tokens, issuer, keys.public_hex, config);
    return services;
}

}  // namespace ecf::standalone
