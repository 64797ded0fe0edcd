#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <biscuit/crypto.hpp>
#include <biscuit/error.hpp>
#include <memory>

namespace biscuit {
namespace {

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

constexpr std::size_t kEd25519KeySize = 32;
constexpr std::size_t kEd25519SignatureSize = 64;
constexpr std::size_t kP256CompressedSize = 33;
constexpr std::size_t kP256ScalarSize = 32;

Error invalid_key(std::string detail) {
    return Error(FormatError::InvalidKey, std::move(detail));
}

// Keys are often read from files or pasted: a trailing newline or space is not part of the hex.
std::string_view without_line_end(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

std::string_view strip_prefix(std::string_view text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) == prefix) return text.substr(prefix.size());
    return {};
}

// secp256r1 public key from a SEC1 point (compressed or not).
PkeyPtr p256_public_from_point(std::span<const std::uint8_t> point) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (!bld) throw invalid_key("out of memory");
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* key = nullptr;
    bool ok = ctx && params && EVP_PKEY_fromdata_init(ctx) == 1 &&
              EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!ok) {
        EVP_PKEY_free(key);
        throw invalid_key("not a secp256r1 point");
    }
    return PkeyPtr(key);
}

// The compressed SEC1 encoding of d·G.
Bytes p256_public_point(std::span<const std::uint8_t> scalar) {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM* d = BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr);
    EC_POINT* point = group ? EC_POINT_new(group) : nullptr;
    Bytes out(kP256CompressedSize);
    bool ok = group && d && point && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(group)) < 0 &&
              EC_POINT_mul(group, point, d, nullptr, nullptr, nullptr) == 1 &&
              EC_POINT_point2oct(group, point, POINT_CONVERSION_COMPRESSED, out.data(), out.size(),
                                 nullptr) == out.size();
    EC_POINT_free(point);
    BN_clear_free(d);
    EC_GROUP_free(group);
    if (!ok) throw invalid_key("not a secp256r1 private scalar");
    return out;
}

PkeyPtr p256_private(std::span<const std::uint8_t> scalar, const Bytes& public_point) {
    BIGNUM* d = BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (!bld || !d) {
        BN_clear_free(d);
        OSSL_PARAM_BLD_free(bld);
        throw invalid_key("out of memory");
    }
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, public_point.data(),
                                     public_point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* key = nullptr;
    bool ok = ctx && params && EVP_PKEY_fromdata_init(ctx) == 1 &&
              EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!ok) {
        EVP_PKEY_free(key);
        throw invalid_key("not a secp256r1 private key");
    }
    return PkeyPtr(key);
}

}  // namespace

struct PublicKey::Handle {
    PkeyPtr key;
};
struct PrivateKey::Handle {
    PkeyPtr key;
    Bytes public_bytes;
};

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xf]);
    }
    return out;
}

Bytes from_hex(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() % 2 != 0) throw invalid_key("odd number of hex digits");
    Bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = value(text[2 * i]), lo = value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) throw invalid_key("invalid hex digit");
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

PublicKey::PublicKey(Algorithm algorithm, std::span<const std::uint8_t> bytes)
    : algorithm_(algorithm), bytes_(bytes.begin(), bytes.end()) {
    auto handle = std::make_shared<Handle>();
    if (algorithm == Algorithm::Ed25519) {
        if (bytes.size() != kEd25519KeySize) throw Error::invalid_key_size(bytes.size());
        handle->key.reset(
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes.data(), bytes.size()));
        if (!handle->key) throw invalid_key("not an Ed25519 public key");
    } else if (algorithm == Algorithm::Secp256r1) {
        if (bytes.size() != kP256CompressedSize) throw Error::invalid_key_size(bytes.size());
        handle->key = p256_public_from_point(bytes);
    } else {
        throw Error(FormatError::DeserializationError, "unknown key algorithm");
    }
    handle_ = std::move(handle);
}

PublicKey PublicKey::from_hex(std::string_view text) {
    text = without_line_end(text);
    if (auto rest = strip_prefix(text, "ed25519/"); !rest.empty())
        return PublicKey(Algorithm::Ed25519, biscuit::from_hex(rest));
    if (auto rest = strip_prefix(text, "secp256r1/"); !rest.empty())
        return PublicKey(Algorithm::Secp256r1, biscuit::from_hex(rest));
    return PublicKey(Algorithm::Ed25519, biscuit::from_hex(text));
}

std::string PublicKey::to_hex() const {
    return biscuit::to_hex(bytes_);
}

std::string PublicKey::to_string() const {
    return (algorithm_ == Algorithm::Ed25519 ? "ed25519/" : "secp256r1/") + to_hex();
}

void PublicKey::verify(std::span<const std::uint8_t> message,
                       std::span<const std::uint8_t> signature) const {
    if (algorithm_ == Algorithm::Ed25519 && signature.size() != kEd25519SignatureSize)
        throw Error::invalid_signature_size(signature.size());
    MdCtxPtr ctx(EVP_MD_CTX_new());
    const EVP_MD* digest = algorithm_ == Algorithm::Ed25519 ? nullptr : EVP_sha256();
    bool ok = ctx &&
              EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, handle_->key.get()) == 1 &&
              EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                               message.size()) == 1;
    if (!ok)
        throw Error(FormatError::InvalidSignature,
                    "signature error: Verification equation was not satisfied");
}

PrivateKey::PrivateKey(Algorithm algorithm, std::span<const std::uint8_t> bytes)
    : algorithm_(algorithm), bytes_(bytes.begin(), bytes.end()) {
    auto handle = std::make_shared<Handle>();
    if (algorithm == Algorithm::Ed25519) {
        if (bytes.size() != kEd25519KeySize) throw Error::invalid_key_size(bytes.size());
        handle->key.reset(
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes.data(), bytes.size()));
        if (!handle->key) throw invalid_key("not an Ed25519 private key");
        std::size_t len = kEd25519KeySize;
        handle->public_bytes.resize(len);
        if (EVP_PKEY_get_raw_public_key(handle->key.get(), handle->public_bytes.data(), &len) != 1)
            throw invalid_key("cannot derive the public key");
    } else if (algorithm == Algorithm::Secp256r1) {
        if (bytes.size() != kP256ScalarSize) throw Error::invalid_key_size(bytes.size());
        handle->public_bytes = p256_public_point(bytes);
        handle->key = p256_private(bytes, handle->public_bytes);
    } else {
        throw Error(FormatError::DeserializationError, "unknown key algorithm");
    }
    handle_ = std::move(handle);
}

PrivateKey PrivateKey::from_hex(std::string_view text) {
    text = without_line_end(text);
    if (auto rest = strip_prefix(text, "ed25519-private/"); !rest.empty())
        return PrivateKey(Algorithm::Ed25519, biscuit::from_hex(rest));
    if (auto rest = strip_prefix(text, "secp256r1-private/"); !rest.empty())
        return PrivateKey(Algorithm::Secp256r1, biscuit::from_hex(rest));
    Bytes raw = biscuit::from_hex(text);
    PrivateKey key(Algorithm::Ed25519, raw);
    OPENSSL_cleanse(raw.data(), raw.size());
    return key;
}

PrivateKey::~PrivateKey() {
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
}
PrivateKey::PrivateKey(const PrivateKey&) = default;
PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
    if (this != &other) {
        OPENSSL_cleanse(bytes_.data(), bytes_.size());
        algorithm_ = other.algorithm_;
        bytes_ = other.bytes_;
        handle_ = other.handle_;
    }
    return *this;
}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;

std::string PrivateKey::to_hex() const {
    return biscuit::to_hex(bytes_);
}

PublicKey PrivateKey::public_key() const {
    return PublicKey(algorithm_, handle_->public_bytes);
}

bool PrivateKey::matches(const PublicKey& key) const {
    return key.algorithm() == algorithm_ && key.bytes() == handle_->public_bytes;
}

Bytes PrivateKey::sign(std::span<const std::uint8_t> message) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    const EVP_MD* digest = algorithm_ == Algorithm::Ed25519 ? nullptr : EVP_sha256();
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest, nullptr, handle_->key.get()) != 1)
        throw Error(FormatError::SignatureGeneration);
    if (algorithm_ == Algorithm::Ed25519) {
        Bytes out(kEd25519SignatureSize);
        len = out.size();
        if (EVP_DigestSign(ctx.get(), out.data(), &len, message.data(), message.size()) != 1)
            throw Error(FormatError::SignatureGeneration);
        return out;
    }
    if (EVP_DigestSignUpdate(ctx.get(), message.data(), message.size()) != 1 ||
        EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1)
        throw Error(FormatError::SignatureGeneration);
    Bytes out(len);
    if (EVP_DigestSignFinal(ctx.get(), out.data(), &len) != 1)
        throw Error(FormatError::SignatureGeneration);
    out.resize(len);
    return out;
}

KeyPair::KeyPair(PrivateKey private_key)
    : private_(std::move(private_key)), public_(private_.public_key()) {}

KeyPair KeyPair::generate(Algorithm algorithm) {
    Bytes secret(32);
    for (int attempt = 0; attempt < 16; ++attempt) {
        if (RAND_priv_bytes(secret.data(), static_cast<int>(secret.size())) != 1)
            throw Error(FormatError::InvalidKey, "no randomness");
        try {
            KeyPair pair{PrivateKey(algorithm, secret)};
            OPENSSL_cleanse(secret.data(), secret.size());
            return pair;
        } catch (const Error&) {
            // A P-256 scalar at or above the group order: draw again.
        }
    }
    throw Error(FormatError::InvalidKey, "cannot generate a key");
}

}  // namespace biscuit
