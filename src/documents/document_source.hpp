#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>

#include "core/credentials.hpp"
#include "documents/document.hpp"

namespace ecf::documents {

// Where documents come from: OpenNebula over XML-RPC, or the embedded store of standalone mode.
// Both read with the caller's own credentials, so the source decides who may read what.
class DocumentSource {
  public:
    virtual ~DocumentSource() = default;

    // Reads document `id` as `credentials.user`. Throws ecf::Error: Unauthorized (bad
    // credentials), Forbidden (not allowed), NotFound (no such document), Internal (anything
    // else). Checking the document's TYPE is the caller's business.
    virtual boost::asio::awaitable<Document> fetch(const Credentials& credentials,
                                                   std::int64_t id) = 0;

    // The document when it is at hand without waiting (a cache's fresh entry), else nothing:
    // then fetch() reads it. Lets the caller skip the machinery of a wait for what it already
    // has.
    virtual std::optional<Document> fetch_now(const Credentials& credentials, std::int64_t id) {
        static_cast<void>(credentials);
        static_cast<void>(id);
        return std::nullopt;
    }
};

}  // namespace ecf::documents
