#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace ecf::auth {

// Revoked tokens (config revocation_file): a text file of revocation ids, lowercase or uppercase
// hex, one per line; blank lines and lines starting with `#` are skipped. A token is revoked
// when any of its blocks' ids is listed (so revoking a token revokes every attenuation of it).
// The file is read again when its modification time or size changes, looked at no more often
// than `check_interval`. Safe to call from any thread.
class RevocationList {
  public:
    // Reads the file; throws ecf::Error(Internal) naming the path when it cannot be read or a
    // line is not hex (the service then refuses to start).
    RevocationList(std::filesystem::path path, std::chrono::milliseconds check_interval);

    // Whether any of `ids` (a token's revocation ids, lowercase hex) is listed. A file that
    // became unreadable keeps the ids last read: revoked tokens stay revoked.
    bool revoked(const std::vector<std::string>& ids);

    std::size_t size() const;

  private:
    struct Stamp {
        std::filesystem::file_time_type modified;
        std::uintmax_t size = 0;
        friend bool operator==(const Stamp&, const Stamp&) = default;
    };
    static std::unordered_set<std::string> read(const std::filesystem::path& path);
    std::optional<Stamp> stamp() const;
    void refresh();

    const std::filesystem::path path_;
    const std::chrono::milliseconds check_interval_;
    mutable std::mutex mutex_;
    std::chrono::steady_clock::time_point next_check_;
    std::optional<Stamp> stamp_;
    std::unordered_set<std::string> ids_;
};

// The list in config revocation_file (checked for changes every second), or none when unset.
// Throws as the constructor does.
std::shared_ptr<RevocationList> revocation_list_of(const std::optional<std::string>& path);

}  // namespace ecf::auth
