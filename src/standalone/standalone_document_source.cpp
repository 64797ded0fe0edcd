#include "standalone/standalone_document_source.hpp"

#include "core/error.hpp"

namespace ecf::standalone {

StandaloneDocumentSource::StandaloneDocumentSource(
    std::shared_ptr<SqliteDocumentStore> store, std::shared_ptr<AsyncCredentialVerifier> verifier,
    FlavourAllowList flavours)
    : store_(std::move(store)), verifier_(std::move(verifier)), flavours_(std::move(flavours)) {}

boost::asio::awaitable<User> StandaloneDocumentSource::authenticate(const Credentials& credentials,
                                                                    std::string peer) {
    auto user = co_await verifier_->verify(credentials, std::move(peer));
    // OpenNebula's own wording for a bad session; it never says which half was wrong.
    if (!user)
        throw Error(ErrorKind::Unauthorized,
                    "[one.document.info] User couldn't be authenticated, aborting call.");
    co_return std::move(*user);
}

documents::Document StandaloneDocumentSource::fetch_as(const User& user, std::int64_t id) {
    auto document = store_->find(id);
    if (!document) {
        throw Error(ErrorKind::NotFound,
                    "[one.document.info] Error getting document [" + std::to_string(id) + "].");
    }
    // By UID, not by name: a user removed and added again under the same name is a new user.
    if (document->uid != user.uid) {
        throw Error(ErrorKind::Forbidden, "[one.document.info] User [" + std::to_string(user.uid) +
                                              "] : Not authorized to perform USE DOCUMENT [" +
                                              std::to_string(id) + "].");
    }
    return std::move(*document);
}

boost::asio::awaitable<documents::Document> StandaloneDocumentSource::fetch(
    const Credentials& credentials, std::int64_t id) {
    const auto user = co_await authenticate(credentials);
    auto document = fetch_as(user, id);
    // Only here, where an execution reads it: the owner can still read, change or delete it.
    if (document.type == static_cast<int>(documents::DocumentType::AppRequirement)) {
        const auto* flavour = document.template_values.if_contains("FLAVOUR");
        if (flavour && flavour->is_string() && !flavours_.allows(flavour->as_string())) {
            throw Error(ErrorKind::Forbidden, std::string(kFlavourNotServed));
        }
    }
    co_return document;
}

}  // namespace ecf::standalone
