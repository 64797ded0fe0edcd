#include "standalone/credential_verifier.hpp"

#include <sodium.h>

namespace ecf::standalone {

CredentialVerifier::CredentialVerifier(std::shared_ptr<UserDirectory> users,
                                       std::chrono::milliseconds ttl, std::size_t max_entries,
                                       SteadyNow now)
    : users_(std::move(users)),
      ttl_(ttl),
      max_entries_(max_entries),
      now_(steady_now_or_clock(std::move(now))) {
    // A random password nobody knows, hashed as `ecf users add` hashes: checking against it
    // costs exactly what checking a real user's password costs.
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    dummy_hash_ = UserDirectory::hash_password(
        std::string_view(reinterpret_cast<const char*>(secret), sizeof secret));
    sodium_memzero(secret, sizeof secret);
}

std::string CredentialVerifier::key(const Credentials& credentials) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(credentials.password.data()),
                       credentials.password.size());
    // The name cannot hold a NUL, so "name\0digest" cannot collide between users.
    std::string k = credentials.user;
    k.push_back('\0');
    k.append(reinterpret_cast<const char*>(digest), sizeof digest);
    return k;
}

std::optional<User> CredentialVerifier::verify_remembered(const Credentials& credentials) {
    auto user = users_->find(credentials.user);
    if (!user) return std::nullopt;
    const auto k = key(credentials);
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(k);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires <= now_() || it->second.password_hash != user->password_hash) {
        entries_.erase(it);
        return std::nullopt;
    }
    return user;
}

std::optional<User> CredentialVerifier::verify(const Credentials& credentials) {
    if (auto user = verify_remembered(credentials)) return user;
    auto user = users_->find(credentials.user);
    ++full_checks_;
    if (!user) {
        ++dummy_checks_;
        UserDirectory::password_matches(dummy_hash_, credentials.password);
        return std::nullopt;
    }
    if (!UserDirectory::password_matches(user->password_hash, credentials.password)) {
        return std::nullopt;  // failures are not remembered: a wrong password stays slow to try
    }
    remember(key(credentials), *user);
    return user;
}

void CredentialVerifier::remember(std::string k, const User& user) {
    if (max_entries_ == 0 || ttl_.count() <= 0) return;
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_entries_) {
        std::erase_if(entries_, [&](const auto& entry) { return entry.second.expires <= now; });
        if (entries_.size() >= max_entries_) entries_.clear();
    }
    entries_[std::move(k)] = Entry{user.password_hash, now + ttl_};
}

std::size_t CredentialVerifier::remembered_count() {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace ecf::standalone
