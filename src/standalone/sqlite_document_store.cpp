#include "standalone/sqlite_document_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"

namespace ecf::standalone {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid INTEGER NOT NULL,
    uname TEXT NOT NULL,
    name TEXT NOT NULL,
    type INTEGER NOT NULL,
    fc_hash TEXT,
    template TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_function_hash ON documents (uname, type, fc_hash);
CREATE INDEX IF NOT EXISTS documents_by_owner_function_hash ON documents (uid, type, fc_hash);
)sql";

constexpr const char* kColumns = "id, uid, uname, name, type, template";

std::optional<std::string> function_hash(documents::DocumentType type,
                                         const boost::json::object& template_values) {
    if (type != documents::DocumentType::Function) return std::nullopt;
    const auto* hash = template_values.if_contains("FC_HASH");
    if (!hash || !hash->is_string()) return std::nullopt;
    return std::string(hash->as_string());
}

}  // namespace

// Resets a prepared statement when a call is done with it, whatever happens.
class SqliteDocumentStore::Statement {
  public:
    explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
    ~Statement() {
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    sqlite3_stmt* get() const { return statement_; }

  private:
    sqlite3_stmt* statement_;
};

SqliteDocumentStore::SqliteDocumentStore(const std::filesystem::path& file) {
    // Owner only: the store holds every user's functions. SQLite gives its -wal and -shm files
    // the mode of the database file.
    if (const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
        ::fchmod(fd, 0600);
        ::close(fd);
    }
    if (sqlite3_open_v2(file.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw Error(ErrorKind::Internal, "cannot open the document store: " + message);
    }
    sqlite3_busy_timeout(db_, 1000);
    char* message = nullptr;
    const std::string setup =
        std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") + kSchema;
    if (sqlite3_exec(db_, setup.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        sqlite3_close(db_);
        throw Error(ErrorKind::Internal, "cannot set up the document store: " + text);
    }
    try {
        insert_ = prepare(
            "INSERT INTO documents (uid, uname, name, type, fc_hash, template) "
            "VALUES (?, ?, ?, ?, ?, ?)");
        select_ =
            prepare((std::string("SELECT ") + kColumns + " FROM documents WHERE id = ?").c_str());
        select_function_ = prepare(
            "SELECT id, template FROM documents WHERE uid = ? AND type = 1339 AND fc_hash = ? "
            "ORDER BY id");
        update_ = prepare("UPDATE documents SET template = ?, fc_hash = ? WHERE id = ?");
        delete_ = prepare("DELETE FROM documents WHERE id = ?");
        count_ = prepare("SELECT count(*) FROM documents WHERE uid = ?");
    } catch (...) {
        for (auto* s : {insert_, select_, select_function_, update_, delete_, count_}) {
            sqlite3_finalize(s);
        }
        sqlite3_close(db_);
        throw;
    }
}

SqliteDocumentStore::~SqliteDocumentStore() {
    for (auto* s : {insert_, select_, select_function_, update_, delete_, count_}) {
        sqlite3_finalize(s);
    }
    sqlite3_close(db_);
}

sqlite3_stmt* SqliteDocumentStore::prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
        fail("prepare");
    }
    return statement;
}

void SqliteDocumentStore::fail(const char* what) {
    throw Error(ErrorKind::Internal,
                std::string("document store: ") + what + ": " + sqlite3_errmsg(db_));
}

documents::Document SqliteDocumentStore::read_row(sqlite3_stmt* statement) {
    documents::Document document;
    document.id = sqlite3_column_int64(statement, 0);
    document.uid = sqlite3_column_int64(statement, 1);
    document.uname = reinterpret_cast<const char*>(sqlite3_column_text(statement, 2));
    document.gid = 1;  // OpenNebula's default group of ordinary users
    document.gname = "users";
    document.name = reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
    document.type = sqlite3_column_int(statement, 4);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 5));
    boost::system::error_code ec;
    auto value = boost::json::parse(text ? text : "", ec);
    if (ec || !value.is_object()) {
        throw Error(ErrorKind::Internal, "document store: document " + std::to_string(document.id) +
                                             " has a corrupt template");
    }
    document.template_values = std::move(value.as_object());
    return document;
}

std::int64_t SqliteDocumentStore::create(const Owner& owner, documents::DocumentType type,
                                         const std::string& name,
                                         const boost::json::object& template_values) {
    std::lock_guard lock(mutex_);
    return insert(owner, type, name, template_values);
}

std::optional<std::int64_t> SqliteDocumentStore::create_within(
    const Owner& owner, std::size_t limit, documents::DocumentType type, const std::string& name,
    const boost::json::object& template_values) {
    std::lock_guard lock(mutex_);
    {
        Statement s(count_);
        sqlite3_bind_int64(s.get(), 1, owner.uid);
        if (sqlite3_step(s.get()) != SQLITE_ROW) fail("count");
        if (static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0)) >= limit) {
            return std::nullopt;
        }
    }
    return insert(owner, type, name, template_values);
}

std::size_t SqliteDocumentStore::count_owned(std::int64_t uid) {
    std::lock_guard lock(mutex_);
    Statement s(count_);
    sqlite3_bind_int64(s.get(), 1, uid);
    if (sqlite3_step(s.get()) != SQLITE_ROW) fail("count");
    return static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0));
}

std::int64_t SqliteDocumentStore::highest_uid() {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT coalesce(max(uid), 0) FROM documents", -1, &raw, nullptr) !=
        SQLITE_OK) {
        fail("prepare");
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    if (sqlite3_step(raw) != SQLITE_ROW) fail("highest uid");
    return sqlite3_column_int64(raw, 0);
}

// With mutex_ held.
std::int64_t SqliteDocumentStore::insert(const Owner& owner, documents::DocumentType type,
                                         const std::string& name,
                                         const boost::json::object& template_values) {
    const std::string text = boost::json::serialize(template_values);
    const auto hash = function_hash(type, template_values);
    Statement s(insert_);
    sqlite3_bind_int64(s.get(), 1, owner.uid);
    sqlite3_bind_text(s.get(), 2, owner.uname.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 3, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s.get(), 4, static_cast<int>(type));
    if (hash) {
        sqlite3_bind_text(s.get(), 5, hash->c_str(), -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(s.get(), 5);
    }
    sqlite3_bind_text(s.get(), 6, text.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s.get()) != SQLITE_DONE) fail("insert");
    return sqlite3_last_insert_rowid(db_);
}

std::optional<documents::Document> SqliteDocumentStore::find(std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(select_);
    sqlite3_bind_int64(s.get(), 1, id);
    const int status = sqlite3_step(s.get());
    if (status == SQLITE_DONE) return std::nullopt;
    if (status != SQLITE_ROW) fail("select");
    return read_row(s.get());
}

std::vector<documents::Document> SqliteDocumentStore::list(
    const std::optional<std::string>& owner, std::optional<documents::DocumentType> type) {
    // Listing is for the operator's command line only, so its statement is made per call.
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM documents WHERE (?1 IS NULL OR uname = ?1) AND (?2 IS NULL OR type = "
                      "?2) ORDER BY id";
    std::lock_guard lock(mutex_);
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) fail("prepare");
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    if (owner) {
        sqlite3_bind_text(raw, 1, owner->c_str(), -1, SQLITE_TRANSIENT);
    }
    if (type) sqlite3_bind_int(raw, 2, static_cast<int>(*type));
    std::vector<documents::Document> result;
    int status;
    while ((status = sqlite3_step(raw)) == SQLITE_ROW) result.push_back(read_row(raw));
    if (status != SQLITE_DONE) fail("list");
    return result;
}

std::optional<std::int64_t> SqliteDocumentStore::find_function(std::int64_t uid,
                                                               const std::string& fc_hash,
                                                               const std::string& fc) {
    std::lock_guard lock(mutex_);
    Statement s(select_function_);
    sqlite3_bind_int64(s.get(), 1, uid);
    sqlite3_bind_text(s.get(), 2, fc_hash.c_str(), -1, SQLITE_TRANSIENT);
    int status;
    while ((status = sqlite3_step(s.get())) == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1));
        boost::system::error_code ec;
        const auto value = boost::json::parse(text ? text : "", ec);
        if (ec || !value.is_object()) continue;
        const auto* stored = value.as_object().if_contains("FC");
        if (stored && stored->is_string() && stored->as_string() == fc) {
            return sqlite3_column_int64(s.get(), 0);
        }
    }
    if (status != SQLITE_DONE) fail("select");
    return std::nullopt;
}

bool SqliteDocumentStore::replace_template(std::int64_t id,
                                           const boost::json::object& template_values) {
    const std::string text = boost::json::serialize(template_values);
    const auto* hash = template_values.if_contains("FC_HASH");
    std::lock_guard lock(mutex_);
    Statement s(update_);
    sqlite3_bind_text(s.get(), 1, text.c_str(), -1, SQLITE_TRANSIENT);
    if (hash && hash->is_string()) {
        sqlite3_bind_text(s.get(), 2, hash->as_string().c_str(), -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(s.get(), 2);
    }
    sqlite3_bind_int64(s.get(), 3, id);
    if (sqlite3_step(s.get()) != SQLITE_DONE) fail("update");
    return sqlite3_changes(db_) > 0;
}

bool SqliteDocumentStore::remove(std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(delete_);
    sqlite3_bind_int64(s.get(), 1, id);
    if (sqlite3_step(s.get()) != SQLITE_DONE) fail("delete");
    return sqlite3_changes(db_) > 0;
}

}  // namespace ecf::standalone
