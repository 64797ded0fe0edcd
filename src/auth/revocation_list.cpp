#include "auth/revocation_list.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "core/error.hpp"

namespace ecf::auth {
namespace {

// Longer files are not a list an operator keeps by hand: refuse them rather than hold them.
constexpr std::uintmax_t kMaxFileBytes = 64 * 1024 * 1024;

std::string trimmed(const std::string& line) {
    auto begin =
        std::find_if_not(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); });
    auto end = std::find_if_not(line.rbegin(), line.rend(), [](unsigned char c) {
                   return std::isspace(c);
               }).base();
    return begin < end ? std::string(begin, end) : std::string();
}

}  // namespace

RevocationList::RevocationList(std::filesystem::path path, std::chrono::milliseconds check_interval)
    : path_(std::move(path)), check_interval_(check_interval) {
    stamp_ = stamp();
    ids_ = read(path_);
    next_check_ = std::chrono::steady_clock::now() + check_interval_;
}

std::unordered_set<std::string> RevocationList::read(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw Error(ErrorKind::Internal, "cannot read revocation_file " + path.string());
    if (size > kMaxFileBytes)
        throw Error(ErrorKind::Internal, "revocation_file " + path.string() + " is too large");
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::Internal, "cannot read revocation_file " + path.string());
    std::unordered_set<std::string> ids;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string id = trimmed(line);
        if (id.empty() || id.starts_with("#")) continue;
        const bool hex = id.size() % 2 == 0 && std::all_of(id.begin(), id.end(), [](char c) {
                             return std::isxdigit(static_cast<unsigned char>(c));
                         });
        if (!hex) {
            throw Error(ErrorKind::Internal, "revocation_file " + path.string() + " line " +
                                                 std::to_string(number) + " is not hex");
        }
        std::transform(id.begin(), id.end(), id.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        ids.insert(std::move(id));
    }
    return ids;
}

std::optional<RevocationList::Stamp> RevocationList::stamp() const {
    std::error_code ec;
    Stamp s;
    s.modified = std::filesystem::last_write_time(path_, ec);
    if (ec) return std::nullopt;
    s.size = std::filesystem::file_size(path_, ec);
    if (ec) return std::nullopt;
    return s;
}

void RevocationList::refresh() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_check_) return;
    next_check_ = now + check_interval_;
    const auto current = stamp();
    if (!current || current == stamp_) return;
    try {
        ids_ = read(path_);
        stamp_ = current;
    } catch (const Error&) {
        // Half-written or unreadable: keep the ids last read and try again at the next check.
    }
}

bool RevocationList::revoked(const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex_);
    refresh();
    return std::any_of(ids.begin(), ids.end(), [&](const auto& id) { return ids_.contains(id); });
}

std::size_t RevocationList::size() const {
    std::lock_guard lock(mutex_);
    return ids_.size();
}

std::shared_ptr<RevocationList> revocation_list_of(const std::optional<std::string>& path) {
    if (!path) return nullptr;
    return std::make_shared<RevocationList>(*path, std::chrono::seconds(1));
}

}  // namespace ecf::auth
