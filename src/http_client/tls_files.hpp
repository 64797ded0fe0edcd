#pragma once

#include <string>

namespace ecf::http_client {

// The files an https:// client trusts and shows (config backend_ca_file, backend_cert_file,
// backend_key_file). The peer's certificate is always verified, and its name against the URL's
// host; these only say against which CAs, and with which identity.
struct TlsFiles {
    // PEM file of the CAs to trust; empty means the system's store.
    std::string ca_file{};
    // A client certificate (PEM chain) and its unencrypted PEM key, sent when both are named.
    std::string certificate_file{};
    std::string key_file{};
};

}  // namespace ecf::http_client
