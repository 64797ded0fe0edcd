#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "auth/biscuit_token_authorizer.hpp"
#include "config/config.hpp"
#include "documents/document_source.hpp"
#include "http/router.hpp"

namespace ecf::standalone {

class DeviceApi;

// Everything the ECF needs in standalone mode (Config::standalone()): the parts that a COGNIT
// deployment gets from OpenNebula and the COGNIT frontend, embedded in data_dir instead.
struct StandaloneServices {
    // Documents of the embedded SQLite store, read with OpenNebula's permission rules.
    std::shared_ptr<documents::DocumentSource> documents;
    // Verifies tokens against the root key kept in data_dir.
    std::shared_ptr<auth::BiscuitTokenAuthorizer> tokens;
    // The root public key in hex, as GET /v1/public_key answers it.
    std::string public_key_hex;
    // The device-facing part of the COGNIT frontend's API (authenticate, public_key,
    // app_requirements, daas/upload).
    std::shared_ptr<DeviceApi> device_api;

    // Adds the COGNIT frontend's device-facing routes; call it only in standalone mode.
    void add_routes(http::Router& router) const;
};

// Opens (creating on first start) the store, the user file and the root key pair in
// config.data_dir. Throws ecf::Error(Internal) when data_dir cannot be used. `executor` runs the
// request handlers; slow work (password hashing) is moved off it.
StandaloneServices make_standalone_services(const config::Config& config,
                                            boost::asio::any_io_executor executor);

}  // namespace ecf::standalone
