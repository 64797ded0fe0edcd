#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecf::standalone {

// One local user of standalone mode.
struct User {
    std::string name;
    std::int64_t uid = 0;
    std::string password_hash;  // libsodium's Argon2id string ("$argon2id$v=19$...")
};

// The users of standalone mode, in one text file of data_dir (mode 0600), one user a line:
// `NAME:UID:ARGON2ID-HASH`, and a line `#next_uid:N`: UIDs are never given twice, so that a
// user removed and added again does not own the old user's documents (they are owned by UID).
// The server and the `ecf users` command line share the file: a
// change is written to a temporary file and renamed over it, and readers load it again when its
// modification time or size changed, so a user added while the server runs can log in at once.
// Throws ecf::Error(Internal) when the file cannot be read or written, BadRequest on a bad name.
class UserDirectory {
  public:
    explicit UserDirectory(std::filesystem::path file);

    // Adds a user, or replaces the password of an existing one (keeping its UID).
    // Returns the user's UID. Hashing takes tens of milliseconds on purpose.
    std::int64_t add(const std::string& name, std::string_view password);
    bool remove(const std::string& name);
    // Makes sure no UID below `uid` is given again (written to the file when that changes it):
    // the server passes the highest owner of a stored document, for files from before
    // `#next_uid`, so that a new user never gets a removed user's documents.
    void reserve_uids_below(std::int64_t uid);
    std::vector<User> list();
    std::optional<User> find(std::string_view name);

    // The Argon2id string of `password` with the parameters every user gets (tens of ms).
    static std::string hash_password(std::string_view password);
    // True when `password` matches `hash` (constant-time; tens of milliseconds).
    static bool password_matches(const std::string& hash, std::string_view password);
    // Names are what OpenNebula accepts and a line of the file can hold.
    static bool valid_name(std::string_view name);

  private:
    void reload_if_changed();
    void write(const std::vector<User>& users);

    std::filesystem::path file_;
    std::mutex mutex_;
    std::vector<User> users_;
    std::int64_t next_uid_ = 1;
    std::filesystem::file_time_type loaded_time_{};
    std::uintmax_t loaded_size_ = static_cast<std::uintmax_t>(-1);
};

}  // namespace ecf::standalone
