#pragma once

#include <spdlog/logger.h>

#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "auth/token_authorizer.hpp"
#include "config/config.hpp"
#include "core/flavour_allow_list.hpp"
#include "http/router.hpp"
#include "standalone/sqlite_document_store.hpp"
#include "standalone/standalone_document_source.hpp"
#include "standalone/token_issuer.hpp"

namespace ecf::standalone {

// The device-facing part of the COGNIT frontend's API (its src/main.py), answered from the
// embedded store so that today's device clients run unchanged against one machine:
//   POST /v1/authenticate                  basic auth -> 201, the token as a JSON string
//   GET  /v1/public_key                    200, the root public key (hex) as a JSON string
//   POST /v1/app_requirements              200, the new document id
//   GET|PUT|DELETE /v1/app_requirements/{id}   200 requirements / 200 null / 204
//   GET  /v1/app_requirements/{id}/ec_fe   200, a list holding this ECF as a cluster
//   POST /v1/daas/upload                   200, the FUNCTION id (an existing one on same FC_HASH)
//   POST /v1/latency                       200 null: the device runtime's latency measurements,
//                                          checked and logged at debug (one cluster: no choice)
// Every route but the first two takes the `token` header, as the COGNIT frontend does.
class DeviceApi : public std::enable_shared_from_this<DeviceApi> {
  public:
    DeviceApi(std::shared_ptr<SqliteDocumentStore> store,
              std::shared_ptr<StandaloneDocumentSource> documents,
              std::shared_ptr<auth::TokenAuthorizer> tokens, std::shared_ptr<TokenIssuer> issuer,
              std::string public_key_hex, const config::Config& config,
              std::shared_ptr<spdlog::logger> logger = nullptr);

    void add_routes(http::Router& router);

    // The requirement template the COGNIT frontend would store for a request body (its
    // AppRequirements model with defaults, values as OpenNebula strings); ecf::Error
    // (Unprocessable) on a malformed body. Public for the tests and the command line.
    static boost::json::object requirement_template(const boost::json::value& body);
    // A stored requirement template as the COGNIT frontend answers it (AppRequirements).
    static boost::json::object requirement_response(const boost::json::object& template_values);
    // A FUNCTION template from an upload body ({LANG, FC, FC_HASH}).
    // (Quota: at most max_documents_per_user documents each; past it, 403.)
    static boost::json::object function_template(const boost::json::value& body);
    // The body of POST /v1/latency checked (a JSON object of at most kMaxLatencyEntries cluster
    // addresses of at most kMaxLatencyKeyBytes each, to finite numbers) and made printable for
    // a log line; ecf::Error(Unprocessable) otherwise.
    static std::string latency_report(const boost::json::value& body);
    static constexpr std::size_t kMaxLatencyEntries = 64;
    static constexpr std::size_t kMaxLatencyKeyBytes = 256;

  private:
    using Awaitable = boost::asio::awaitable<http::Response>;
    Awaitable authenticate(http::RequestContext& context);
    Awaitable public_key(http::RequestContext& context);
    Awaitable create_requirement(http::RequestContext& context);
    Awaitable read_requirement(http::RequestContext& context);
    Awaitable update_requirement(http::RequestContext& context);
    Awaitable delete_requirement(http::RequestContext& context);
    Awaitable edge_cluster_frontends(http::RequestContext& context);
    Awaitable upload_function(http::RequestContext& context);
    Awaitable latency(http::RequestContext& context);

    // The caller named by the `token` header, checked against the user file.
    boost::asio::awaitable<User> caller(http::RequestContext& context);
    // The caller's APP_REQUIREMENT `{id}`, with the COGNIT frontend's answers otherwise.
    documents::Document requirement_of(const User& user, const http::RequestContext& context);
    std::string own_address(const http::RequestContext& context) const;
    // A new document of `user`, within the per-user quota (Forbidden beyond it).
    std::int64_t create_owned(const User& user, documents::DocumentType type, const char* name,
                              const boost::json::object& values);
    // Unprocessable when the configuration's flavour allow-list does not hold `values`' FLAVOUR.
    void check_flavour(const boost::json::object& values) const;

    std::shared_ptr<SqliteDocumentStore> store_;
    std::shared_ptr<StandaloneDocumentSource> documents_;
    std::shared_ptr<auth::TokenAuthorizer> tokens_;
    std::shared_ptr<TokenIssuer> issuer_;
    std::string public_key_hex_;
    std::string configured_address_;
    std::int64_t cluster_id_;
    std::size_t max_documents_per_user_;
    FlavourAllowList flavours_;
    std::shared_ptr<spdlog::logger> logger_;  // may be null: nothing is logged
};

}  // namespace ecf::standalone
