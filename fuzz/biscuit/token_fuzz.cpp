// Fuzzes token parsing, verification and authorization: arbitrary bytes checked against the
// samples' root key, then authorized by a fixed authorizer. Any input must end in a result or a
// biscuit::Error, never a crash or a hang.
#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/crypto.hpp>
#include <biscuit/error.hpp>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

// testdata/biscuit-samples/samples.json `root_public_key`.
const biscuit::PublicKey& root_key() {
    static const biscuit::PublicKey key = biscuit::PublicKey::from_hex(
        "1055c750b1a1505937af1537c626ba3263995c33a64758aaafb1275b0312e284");
    return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto token = biscuit::Biscuit::from_bytes(std::span(data, size), root_key());
        (void)token.revocation_ids();
        for (std::size_t i = 0; i < token.block_count(); ++i) (void)token.print_block(i);
        biscuit::Authorizer authorizer;
        authorizer.add_token(token);
        authorizer.add_code(
            "resource(\"file1\");\noperation(\"read\");\ntime(2020-12-21T09:23:12Z);\n"
            "allow if true;");
        (void)authorizer.run();
        (void)authorizer.query("u($u) <- user($u) trusting authority");
    } catch (const biscuit::Error&) {
    }
    return 0;
}
