#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/steady_now.hpp"
#include "documents/document_source.hpp"

namespace ecf::documents {

// Keeps documents read from another source for a short while, so that a burst of executions of
// one function reads OpenNebula once. Entries are keyed by user, SHA-256 of the password and
// document id: a wrong password never gets a document that a right one fetched.
// Concurrent misses of one key share one call to the source (single flight), across threads.
// Errors are not cached: the next call asks the source again (a bad password must not lock out
// the good one, and OpenNebula's answer to a fixed password may change at any time).
class DocumentCache : public DocumentSource {
  public:
    // `ttl` 0 disables caching (every call goes to `source`, concurrent misses still shared).
    // `max_entries` bounds the cache; the oldest entries are evicted first. `now`: the clock
    // of the lifetime (default: the steady clock).
    DocumentCache(std::shared_ptr<DocumentSource> source, std::chrono::milliseconds ttl,
                  std::size_t max_entries, SteadyNow now = {});
    ~DocumentCache() override;

    boost::asio::awaitable<Document> fetch(const Credentials& credentials,
                                           std::int64_t id) override;
    // A fresh entry, counted as a hit; nothing (and nothing counted) otherwise.
    std::optional<Document> fetch_now(const Credentials& credentials, std::int64_t id) override;

    std::size_t size() const;
    // New lifetime and bound (a configuration reload): entries past the new bound go now, the
    // oldest first; entries already kept keep their expiry.
    void set_limits(std::chrono::milliseconds ttl, std::size_t max_entries);
    // Fetches answered from the cache, and fetches that went to the source (or joined a call
    // to it), since start.
    std::uint64_t hits() const;
    std::uint64_t misses() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace ecf::documents
