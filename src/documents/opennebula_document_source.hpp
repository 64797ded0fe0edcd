#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "documents/document_source.hpp"
#include "http_client/tls_files.hpp"

namespace ecf::http_client {
class HttpClient;
}

namespace ecf::documents {

// Reads documents from OpenNebula with `one.document.info` over XML-RPC (contract §3), with the
// caller's own session, so OpenNebula's permissions decide who may read what.
class OpenNebulaDocumentSource : public DocumentSource {
  public:
    // `endpoint_url`: the config key one_xmlrpc, e.g. "http://localhost:2633/RPC2".
    // `timeout`: deadline of one call (connect + write + read).
    // `tls`: for an https:// URL, the CAs to trust and the client certificate if any.
    OpenNebulaDocumentSource(boost::asio::any_io_executor executor, std::string endpoint_url,
                             std::chrono::milliseconds timeout, http_client::TlsFiles tls = {});
    ~OpenNebulaDocumentSource() override;

    boost::asio::awaitable<Document> fetch(const Credentials& credentials,
                                           std::int64_t id) override;

  private:
    std::unique_ptr<http_client::HttpClient> client_;
};

}  // namespace ecf::documents
