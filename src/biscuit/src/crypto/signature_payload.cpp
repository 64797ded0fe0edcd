#include "crypto/signature_payload.hpp"

#include <string_view>

namespace biscuit::crypto {
namespace {

void append(Bytes& out, std::span<const std::uint8_t> bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}
void append(Bytes& out, std::string_view tag) {
    out.insert(out.end(), tag.begin(), tag.end());
}
void append_u32_le(Bytes& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

using namespace std::string_view_literals;

}  // namespace

Bytes block_signature_payload(const BlockSignatureInput& in) {
    Bytes out;
    out.reserve(in.data.size() + 200);
    const auto algorithm = static_cast<std::uint32_t>(in.next_key.algorithm());
    if (in.format == 0) {
        append(out, in.data);
        if (in.external_signature) append(out, *in.external_signature);
        append_u32_le(out, algorithm);
        append(out, in.next_key.bytes());
        return out;
    }
    append(out, "\0BLOCK\0\0VERSION\0"sv);
    append_u32_le(out, in.format);
    append(out, "\0PAYLOAD\0"sv);
    append(out, in.data);
    append(out, "\0ALGORITHM\0"sv);
    append_u32_le(out, algorithm);
    append(out, "\0NEXTKEY\0"sv);
    append(out, in.next_key.bytes());
    if (in.previous_signature) {
        append(out, "\0PREVSIG\0"sv);
        append(out, *in.previous_signature);
    }
    if (in.external_signature) {
        append(out, "\0EXTERNALSIG\0"sv);
        append(out, *in.external_signature);
    }
    return out;
}

std::uint32_t block_signature_format(const PublicKey& signer, const PublicKey& next_key,
                                     bool third_party, std::uint32_t block_version,
                                     std::uint32_t previous_max_format) {
    constexpr std::uint32_t kDatalog33 = 6;
    if (third_party || block_version >= kDatalog33) return 1;
    if (signer.algorithm() != Algorithm::Ed25519 || next_key.algorithm() != Algorithm::Ed25519)
        return 1;
    return previous_max_format;
}

Bytes external_signature_payload(std::span<const std::uint8_t> data, const PublicKey& previous_key,
                                 std::span<const std::uint8_t> previous_signature,
                                 std::uint32_t format) {
    Bytes out;
    if (format == 0) {
        append(out, data);
        append_u32_le(out, static_cast<std::uint32_t>(previous_key.algorithm()));
        append(out, previous_key.bytes());
        return out;
    }
    append(out, "\0EXTERNAL\0\0VERSION\0"sv);
    append_u32_le(out, format);
    append(out, "\0PAYLOAD\0"sv);
    append(out, data);
    append(out, "\0PREVSIG\0"sv);
    append(out, previous_signature);
    return out;
}

Bytes seal_signature_payload(std::span<const std::uint8_t> data, const PublicKey& next_key,
                             std::span<const std::uint8_t> signature) {
    Bytes out;
    append(out, data);
    append_u32_le(out, static_cast<std::uint32_t>(next_key.algorithm()));
    append(out, next_key.bytes());
    append(out, signature);
    return out;
}

}  // namespace biscuit::crypto
