#include "standalone/user_directory.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace ecf::standalone {

namespace {

void ensure_sodium() {
    if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium cannot be initialised");
}

}  // namespace

UserDirectory::UserDirectory(std::filesystem::path file) : file_(std::move(file)) {
    ensure_sodium();
}

bool UserDirectory::valid_name(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '@';
    });
}

std::string UserDirectory::hash_password(std::string_view password) {
    ensure_sodium();
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw Error(ErrorKind::Internal, "out of memory while hashing the password");
    }
    return hash;
}

bool UserDirectory::password_matches(const std::string& hash, std::string_view password) {
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void UserDirectory::reload_if_changed() {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file_, ec);
    if (ec) {  // no file yet: no users
        users_.clear();
        next_uid_ = 1;
        loaded_size_ = static_cast<std::uintmax_t>(-1);
        return;
    }
    const auto time = std::filesystem::last_write_time(file_, ec);
    if (!ec && time == loaded_time_ && size == loaded_size_) return;
    std::ifstream in(file_);
    if (!in) throw Error(ErrorKind::Internal, "cannot read the user file " + file_.string());
    std::vector<User> users;
    std::int64_t next_uid = 1;
    std::string line;
    static constexpr std::string_view kNextUid = "#next_uid:";
    while (std::getline(in, line)) {
        if (line.rfind(kNextUid, 0) == 0) {
            try {
                next_uid =
                    std::max<std::int64_t>(next_uid, std::stoll(line.substr(kNextUid.size())));
            } catch (const std::exception&) {
            }
            continue;
        }
        if (line.empty() || line[0] == '#') continue;
        const auto first = line.find(':');
        const auto second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second == std::string::npos) continue;  // a damaged line never grants anything
        User user;
        user.name = line.substr(0, first);
        try {
            user.uid = std::stoll(line.substr(first + 1, second - first - 1));
        } catch (const std::exception&) {
            continue;
        }
        user.password_hash = line.substr(second + 1);
        if (valid_name(user.name)) {
            next_uid = std::max(next_uid, user.uid + 1);
            users.push_back(std::move(user));
        }
    }
    users_ = std::move(users);
    next_uid_ = next_uid;
    loaded_time_ = time;
    loaded_size_ = size;
}

void UserDirectory::write(const std::vector<User>& users) {
    std::ostringstream text;
    text << "# ecf users: NAME:UID:ARGON2ID-HASH (managed by `ecf users`)\n";
    text << "#next_uid:" << next_uid_ << '\n';
    for (const auto& user : users) {
        text << user.name << ':' << user.uid << ':' << user.password_hash << '\n';
    }
    const std::string content = text.str();
    const auto temporary = file_.string() + ".tmp";
    // Created 0600 from the start: the hashes are not for other local users to attack.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ErrorKind::Internal, "cannot write the user file " + temporary);
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), file_.c_str()) != 0) {
        ::unlink(temporary.c_str());
        throw Error(ErrorKind::Internal, "cannot write the user file " + file_.string());
    }
}

std::int64_t UserDirectory::add(const std::string& name, std::string_view password) {
    if (!valid_name(name)) {
        throw Error(ErrorKind::BadRequest,
                    "a user name is 1 to 128 letters, digits, '_', '-', '.' or '@'");
    }
    if (password.empty()) throw Error(ErrorKind::BadRequest, "the password is empty");
    const std::string hash = hash_password(password);
    std::lock_guard lock(mutex_);
    reload_if_changed();
    auto users = users_;
    std::int64_t uid = 0;
    auto existing =
        std::find_if(users.begin(), users.end(), [&](const User& u) { return u.name == name; });
    if (existing != users.end()) {
        existing->password_hash = hash;
        uid = existing->uid;
    } else {
        // UIDs start at 1 like OpenNebula's ordinary users (0 is oneadmin), and are never
        // given again after a removal.
        uid = next_uid_;
        for (const auto& u : users) uid = std::max(uid, u.uid + 1);
        next_uid_ = uid + 1;
        users.push_back(User{name, uid, hash});
    }
    write(users);
    loaded_size_ = static_cast<std::uintmax_t>(-1);  // read back on the next call
    return uid;
}

bool UserDirectory::remove(const std::string& name) {
    std::lock_guard lock(mutex_);
    reload_if_changed();
    auto users = users_;
    const auto erased = std::erase_if(users, [&](const User& u) { return u.name == name; });
    if (erased == 0) return false;
    write(users);
    loaded_size_ = static_cast<std::uintmax_t>(-1);
    return true;
}

void UserDirectory::reserve_uids_below(std::int64_t uid) {
    std::lock_guard lock(mutex_);
    reload_if_changed();
    if (uid <= next_uid_) return;
    next_uid_ = uid;
    write(users_);
    loaded_size_ = static_cast<std::uintmax_t>(-1);
}

std::vector<User> UserDirectory::list() {
    std::lock_guard lock(mutex_);
    reload_if_changed();
    return users_;
}

std::optional<User> UserDirectory::find(std::string_view name) {
    std::lock_guard lock(mutex_);
    reload_if_changed();
    for (const auto& user : users_) {
        if (user.name == name) return user;
    }
    return std::nullopt;
}

}  // namespace ecf::standalone
