#include "standalone/root_key_file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>

#include "core/error.hpp"

namespace ecf::standalone {

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string to_hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        hex.push_back(digits[bytes[i] >> 4]);
        hex.push_back(digits[bytes[i] & 0xf]);
    }
    return hex;
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& why) {
    throw Error(ErrorKind::Internal, "root key " + file.string() + ": " + why);
}

std::string public_hex_of(const std::array<unsigned char, 32>& secret,
                          const std::filesystem::path& file) {
    Key key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, secret.data(), secret.size()),
            EVP_PKEY_free);
    if (!key) fail(file, "not an Ed25519 private key");
    std::array<unsigned char, 32> pub{};
    std::size_t size = pub.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &size) != 1 || size != pub.size()) {
        fail(file, "cannot derive the public key");
    }
    return to_hex(pub.data(), pub.size());
}

RootKeyPair read_existing(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(file, "cannot be read");
    struct stat info {};
    if (::fstat(fd, &info) != 0 || (info.st_mode & 077) != 0) {
        ::close(fd);
        // Fail closed: a root key others could read lets them mint any user's token.
        fail(file, "must be readable by its owner only (chmod 600)");
    }
    char buffer[128];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    ::close(fd);
    if (got < 64) fail(file, "is damaged (expected 64 hex digits)");
    std::array<unsigned char, 32> secret{};
    for (std::size_t i = 0; i < 32; ++i) {
        auto nibble = [&](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            fail(file, "is damaged (expected 64 hex digits)");
        };
        secret[i] =
            static_cast<unsigned char>(nibble(buffer[2 * i]) << 4 | nibble(buffer[2 * i + 1]));
    }
    RootKeyPair pair{to_hex(secret.data(), secret.size()), public_hex_of(secret, file)};
    OPENSSL_cleanse(secret.data(), secret.size());
    OPENSSL_cleanse(buffer, sizeof buffer);
    return pair;
}

}  // namespace

RootKeyPair load_or_create_root_key(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return read_existing(file);
        fail(file, "cannot be created");
    }
    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
    std::array<unsigned char, 32> secret{};
    std::size_t size = secret.size();
    if (!key || EVP_PKEY_get_raw_private_key(key.get(), secret.data(), &size) != 1) {
        ::close(fd);
        ::unlink(file.c_str());
        fail(file, "cannot generate a key");
    }
    const std::string hex = to_hex(secret.data(), secret.size()) + "\n";
    const bool written =
        ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
        ::unlink(file.c_str());
        fail(file, "cannot be written");
    }
    RootKeyPair pair{hex.substr(0, 64), public_hex_of(secret, file)};
    OPENSSL_cleanse(secret.data(), secret.size());
    return pair;
}

}  // namespace ecf::standalone
