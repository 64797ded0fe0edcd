#pragma once

#include <sqlite3.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "documents/document.hpp"

namespace ecf::standalone {

// Who owns a document: OpenNebula's UID and UNAME.
struct Owner {
    std::int64_t uid = 0;
    std::string uname;
};

// The embedded document store of standalone mode: one SQLite file, documents shaped as
// OpenNebula's (id, owner, name, TYPE, TEMPLATE). It knows nothing of permissions; the
// DocumentSource and the API in front of it apply OpenNebula's rules.
//
// Concurrency: one connection, prepared statements made once, and a mutex held for one statement
// at a time. With WAL every statement is well under a millisecond, so the request handlers call
// it from the I/O threads directly; other processes (the `ecf documents` command line) may write
// to the same file at the same time, and a writer waits at most busy_timeout for the lock.
// Throws ecf::Error(Internal) on any SQLite failure.
class SqliteDocumentStore {
  public:
    explicit SqliteDocumentStore(const std::filesystem::path& file);
    ~SqliteDocumentStore();
    SqliteDocumentStore(const SqliteDocumentStore&) = delete;
    SqliteDocumentStore& operator=(const SqliteDocumentStore&) = delete;

    // Ids start at 1: the Python device client takes a 0 id for "no id".
    std::int64_t create(const Owner& owner, documents::DocumentType type, const std::string& name,
                        const boost::json::object& template_values);
    // As create(), unless `owner` (by uid) already owns `limit` documents or more: nullopt then.
    // The count and the insert happen under one lock, so concurrent requests cannot overshoot.
    std::optional<std::int64_t> create_within(const Owner& owner, std::size_t limit,
                                              documents::DocumentType type, const std::string& name,
                                              const boost::json::object& template_values);
    std::size_t count_owned(std::int64_t uid);
    // The highest UID owning a document (0 when there is none).
    std::int64_t highest_uid();
    std::optional<documents::Document> find(std::int64_t id);
    // Every document, or only `owner`'s and/or only of `type`, by id.
    std::vector<documents::Document> list(const std::optional<std::string>& owner,
                                          std::optional<documents::DocumentType> type);
    // The FUNCTION of the user `uid` with this FC_HASH and this very FC, if any (the lowest id).
    // The client computes FC_HASH and nothing ties it to FC, so the hash alone never matches.
    std::optional<std::int64_t> find_function(std::int64_t uid, const std::string& fc_hash,
                                              const std::string& fc);
    // Replaces the template, as OpenNebula's one.document.update with type 0. False: no such id.
    bool replace_template(std::int64_t id, const boost::json::object& template_values);
    bool remove(std::int64_t id);

  private:
    class Statement;
    sqlite3_stmt* prepare(const char* sql);
    [[noreturn]] void fail(const char* what);
    documents::Document read_row(sqlite3_stmt* statement);
    std::int64_t insert(const Owner& owner, documents::DocumentType type, const std::string& name,
                        const boost::json::object& template_values);

    std::mutex mutex_;
    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
    sqlite3_stmt* select_ = nullptr;
    sqlite3_stmt* select_function_ = nullptr;
    sqlite3_stmt* update_ = nullptr;
    sqlite3_stmt* delete_ = nullptr;
    sqlite3_stmt* count_ = nullptr;
};

}  // namespace ecf::standalone
