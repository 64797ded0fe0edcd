#pragma once

#include <memory>

#include "core/flavour_allow_list.hpp"
#include "documents/document_source.hpp"
#include "standalone/async_credential_verifier.hpp"
#include "standalone/sqlite_document_store.hpp"

namespace ecf::standalone {

// The embedded store behind documents::DocumentSource, with OpenNebula's answers to
// one.document.info: wrong user or password -> Unauthorized; a document of another user ->
// Forbidden (OpenNebula's authorization error: documents are created with permissions 600, so
// only their owner, by UID, may use them); no such document -> NotFound. An APP_REQUIREMENT
// whose FLAVOUR the allow-list does not hold is Forbidden to fetch(), so no execution reaches a
// queue the operator did not allow (the requirement may predate the list).
class StandaloneDocumentSource : public documents::DocumentSource {
  public:
    StandaloneDocumentSource(std::shared_ptr<SqliteDocumentStore> store,
                             std::shared_ptr<AsyncCredentialVerifier> verifier,
                             FlavourAllowList flavours = {});

    boost::asio::awaitable<documents::Document> fetch(const Credentials& credentials,
                                                      std::int64_t id) override;

    // The authenticated user, or ecf::Error(Unauthorized) as OpenNebula answers bad sessions.
    // `peer` (the caller's address, when known) is what failed checks are limited by.
    boost::asio::awaitable<User> authenticate(const Credentials& credentials,
                                              std::string peer = {});
    // Document `id` when `user` may use it; Forbidden / NotFound otherwise.
    documents::Document fetch_as(const User& user, std::int64_t id);

  private:
    std::shared_ptr<SqliteDocumentStore> store_;
    std::shared_ptr<AsyncCredentialVerifier> verifier_;
    FlavourAllowList flavours_;
};

}  // namespace ecf::standalone
