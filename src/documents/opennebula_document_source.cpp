#include "documents/opennebula_document_source.hpp"

#include "core/error.hpp"
#include "documents/document_info_xmlrpc.hpp"
#include "documents/document_xml.hpp"
#include "http_client/http_client.hpp"

namespace ecf::documents {
namespace {

// OpenNebula's error codes (contract §3).
constexpr std::int64_t kAuthenticationError = 0x0100;
constexpr std::int64_t kAuthorizationError = 0x0200;
constexpr std::int64_t kNoSuchResource = 0x0400;

// OpenNebula's messages do not quote the session, but a proxy or a future version might: the
// client must never see the password in a detail.
std::string scrubbed(std::string message, const Credentials& credentials) {
    for (const std::string& secret : {credentials.session(), credentials.password}) {
        if (secret.empty()) continue;
        for (auto at = message.find(secret); at != std::string::npos;
             at = message.find(secret, at)) {
            message.replace(at, secret.size(), "***");
            at += 3;
        }
    }
    return message;
}

ErrorKind kind_of(std::int64_t code) {
    switch (code) {
        case kAuthenticationError:
            return ErrorKind::Unauthorized;
        case kAuthorizationError:
            return ErrorKind::Forbidden;
        case kNoSuchResource:
            return ErrorKind::NotFound;
        default:
            return ErrorKind::Internal;
    }
}

}  // namespace

OpenNebulaDocumentSource::OpenNebulaDocumentSource(boost::asio::any_io_executor executor,
                                                   std::string endpoint_url,
                                                   std::chrono::milliseconds timeout,
                                                   http_client::TlsFiles tls)
    : client_(std::make_unique<http_client::HttpClient>(
          std::move(executor), std::move(endpoint_url),
          http_client::HttpClientOptions{.timeout = timeout, .tls = std::move(tls)})) {}

OpenNebulaDocumentSource::~OpenNebulaDocumentSource() = default;

boost::asio::awaitable<Document> OpenNebulaDocumentSource::fetch(const Credentials& credentials,
                                                                 std::int64_t id) {
    // Copied before the first suspension: the caller's credentials may not outlive it.
    const Credentials session = credentials;
    // Named, not temporaries of the co_await expression: GCC 12 mishandles the lifetime of
    // temporaries there.
    std::string body = document_info_request(session.session(), id);
    std::string target;
    std::string content_type = "text/xml";
    http_client::HttpResponse response;
    try {
        response =
            co_await client_->post(std::move(target), std::move(content_type), std::move(body));
    } catch (const Error& e) {
        throw Error(ErrorKind::Internal, std::string("OpenNebula is unreachable: ") + e.what());
    }
    if (response.status != 200) {
        throw Error(ErrorKind::Internal,
                    "OpenNebula answered HTTP " + std::to_string(response.status));
    }
    auto answer = parse_document_info_response(response.body);
    if (!answer.success) {
        auto detail = scrubbed(std::move(answer.body), session);
        if (detail.empty()) detail = "OpenNebula error " + std::to_string(answer.error_code);
        throw Error(kind_of(answer.error_code), std::move(detail));
    }
    co_return parse_document_xml(answer.body);
}

}  // namespace ecf::documents
