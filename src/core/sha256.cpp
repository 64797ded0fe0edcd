#include "core/sha256.hpp"

#include <openssl/evp.h>

#include "core/error.hpp"

namespace ecf {

namespace {

// Fetched once, on first use (thread-safe static initialisation); never freed: EVP_MD objects
// may be shared by every thread, and the process needs it until its end.
const EVP_MD* sha256_algorithm() {
    static const EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    return algorithm;
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
    Sha256Digest digest{};
    unsigned int size = 0;
    const EVP_MD* algorithm = sha256_algorithm();
    if (algorithm == nullptr ||
        EVP_Digest(data.data(), data.size(), digest.data(), &size, algorithm, nullptr) != 1 ||
        size != digest.size()) {
        throw Error(ErrorKind::Internal, "SHA-256 unavailable");
    }
    return digest;
}

}  // namespace ecf
