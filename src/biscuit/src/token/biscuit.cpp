#include <algorithm>
#include <biscuit/base64.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/printer.hpp>

#include "crypto/signature_payload.hpp"
#include "format/block_codec.hpp"
#include "format/block_version.hpp"
#include "schema.pb.h"
#include "token/biscuit_state.hpp"

namespace biscuit {
namespace {

namespace schema = format::schema;

// Tokens carry at most this many blocks: the engine tracks origins in a 64-bit set (one bit
// for the authorizer).
constexpr std::size_t kMaxBlocks = 63;

[[noreturn]] void malformed(std::string detail) {
    throw Error(FormatError::DeserializationError, "deserialization error: " + detail);
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ParseFromArray logs every message that lacks a required field: input from the network must
// not write to the service's stderr, so parse partially and check the fields here.
bool parse_quietly(google::protobuf::MessageLite& message, std::span<const std::uint8_t> bytes) {
    return message.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
           message.IsInitialized();
}

PublicKey key_from_proto(const schema::PublicKey& key) {
    if (key.algorithm() != schema::PublicKey::Ed25519 &&
        key.algorithm() != schema::PublicKey::Secp256r1)
        malformed("unexpected key algorithm");
    return PublicKey(static_cast<Algorithm>(key.algorithm()), as_bytes(key.key()));
}

void key_to_proto(const PublicKey& key, schema::PublicKey& out) {
    out.set_algorithm(static_cast<schema::PublicKey::Algorithm>(key.algorithm()));
    out.set_key(std::string(key.bytes().begin(), key.bytes().end()));
}

SignedBlock signed_block_from_proto(const schema::SignedBlock& in) {
    SignedBlock out{Bytes(in.block().begin(), in.block().end()), key_from_proto(in.nextkey()),
                    Bytes(in.signature().begin(), in.signature().end()), std::nullopt,
                    in.has_version() ? in.version() : 0};
    if (out.signature_format > 1)
        malformed("unsupported block signature version " + std::to_string(out.signature_format));
    if (in.has_externalsignature()) {
        const auto& ext = in.externalsignature();
        out.external = ExternalSignature{Bytes(ext.signature().begin(), ext.signature().end()),
                                         key_from_proto(ext.publickey())};
    }
    return out;
}

// Verifies every block signature after `first` (the root signer is known for block 0 only when
// `root` is given), and the proof. Throws Error{Format, ...}.
void verify_chain(const std::vector<SignedBlock>& blocks, const std::optional<PublicKey>& root,
                  const std::variant<PrivateKey, Bytes>& proof) {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const SignedBlock& b = blocks[i];
        const PublicKey* signer = i == 0 ? (root ? &*root : nullptr) : &blocks[i - 1].next_key;
        std::optional<std::span<const std::uint8_t>> previous;
        if (i > 0) previous = blocks[i - 1].signature;
        if (signer) {
            std::optional<std::span<const std::uint8_t>> external;
            if (b.external) external = b.external->signature;
            auto payload = crypto::block_signature_payload(
                {b.data, b.next_key, external, previous, b.signature_format});
            signer->verify(payload, b.signature);
        }
        if (b.external) {
            if (i == 0)
                throw Error(FormatError::InvalidSignature,
                            "the authority block must not contain an external signature");
            auto payload = crypto::external_signature_payload(
                b.data, blocks[i - 1].next_key, blocks[i - 1].signature, b.signature_format);
            b.external->public_key.verify(payload, b.external->signature);
        }
    }
    const SignedBlock& last = blocks.back();
    if (const auto* secret = std::get_if<PrivateKey>(&proof)) {
        if (!secret->matches(last.next_key))
            throw Error(FormatError::InvalidSignature,
                        "the last public key does not match the private key");
    } else {
        auto payload = crypto::seal_signature_payload(last.data, last.next_key, last.signature);
        last.next_key.verify(payload, std::get<Bytes>(proof));
    }
}

// Decodes every block's Datalog, building the token's symbol and key tables as it goes.
void decode_blocks(TokenInternals::State& state) {
    for (const SignedBlock& sb : state.signed_blocks) {
        schema::Block block;
        if (!parse_quietly(block, sb.data))
            throw Error(FormatError::BlockDeserializationError, "error deserializing block");
        const bool third_party = sb.external.has_value();
        std::vector<datalog::PublicKey> keys;
        for (const auto& k : block.publickeys()) keys.push_back(key_from_proto(k));
        std::vector<std::string> symbols(block.symbols().begin(), block.symbols().end());

        datalog::TokenBlock decoded;
        if (third_party) {
            // A third party signs without seeing the token: its block carries its own symbol
            // and public key tables, and leaves the token's untouched.
            format::SymbolTable own_symbols;
            own_symbols.extend(symbols);
            format::PublicKeyTable own_keys;
            own_keys.extend(keys);
            decoded.code = format::decode_block(block, own_symbols, own_keys, true);
            decoded.external_key = sb.external->public_key;
        } else {
            state.symbols.extend(symbols);
            state.public_keys.extend(keys);
            decoded.code = format::decode_block(block, state.symbols, state.public_keys, false);
        }
        state.blocks.push_back(std::move(decoded));
        state.contexts.push_back(block.has_context() ? block.context() : std::string());
    }
}

// The one key a caller gave, whatever root_key_id the token names (the reference's behaviour
// for a plain PublicKey).
class SingleRootKey : public RootKeyProvider {
  public:
    explicit SingleRootKey(const PublicKey& key) : key_(key) {}
    PublicKey choose(std::optional<std::uint32_t>) const override { return key_; }

  private:
    const PublicKey& key_;
};

// `roots` chooses the root key by the token's root_key_id; none: parsed unverified.
Biscuit parse(std::span<const std::uint8_t> bytes, const RootKeyProvider* roots,
              const ParseOptions& options) {
    if (bytes.size() > options.max_size)
        malformed("token of " + std::to_string(bytes.size()) + " bytes, more than the " +
                  std::to_string(options.max_size) + " allowed");
    schema::Biscuit proto;
    if (!parse_quietly(proto, bytes)) malformed("not a Biscuit token");
    if (static_cast<std::size_t>(proto.blocks_size()) + 1 > kMaxBlocks)
        malformed("too many blocks");

    auto state = std::make_shared<TokenInternals::State>(TokenInternals::State{
        proto.has_rootkeyid() ? std::optional<std::uint32_t>(proto.rootkeyid()) : std::nullopt,
        {},
        {},
        {},
        Bytes{},
        roots != nullptr,
        {},
        {}});
    state->signed_blocks.push_back(signed_block_from_proto(proto.authority()));
    for (const auto& b : proto.blocks()) state->signed_blocks.push_back(signed_block_from_proto(b));

    const auto& proof = proto.proof();
    if (proof.has_nextsecret()) {
        state->proof = PrivateKey(state->signed_blocks.back().next_key.algorithm(),
                                  as_bytes(proof.nextsecret()));
    } else if (proof.has_finalsignature()) {
        state->proof = Bytes(proof.finalsignature().begin(), proof.finalsignature().end());
    } else {
        malformed("the proof is empty");
    }

    std::optional<PublicKey> root;
    if (roots) root = roots->choose(state->root_key_id);
    verify_chain(state->signed_blocks, root, state->proof);
    decode_blocks(*state);
    return TokenInternals::make(std::move(state));
}

std::vector<std::uint8_t> decode_text(std::string_view text, const ParseOptions& options) {
    // The specification's marker for a token outside a context that says so.
    if (text.starts_with("biscuit:")) text.remove_prefix(8);
    if (text.size() > options.max_size / 3 * 4 + 8)
        malformed("token text of " + std::to_string(text.size()) + " characters is too long");
    return base64_decode(text);
}

// Signs `code` as the next block of a token whose last next key is `signer`; `previous` is the
// token's last block (none for the authority block).
SignedBlock sign_block(const datalog::BlockCode& code, const std::string& context,
                       format::SymbolTable& symbols, format::PublicKeyTable& keys,
                       const PrivateKey& signer, const KeyPair& next,
                       const std::vector<SignedBlock>& previous) {
    schema::Block block;
    format::encode_block(code, context, symbols, keys, block);
    std::string data = block.SerializeAsString();
    std::uint32_t previous_max = 0;
    for (const auto& b : previous) previous_max = std::max(previous_max, b.signature_format);
    const std::uint32_t signature_format = crypto::block_signature_format(
        signer.public_key(), next.public_key(), false, block.version(), previous_max);
    SignedBlock out{
        Bytes(data.begin(), data.end()), next.public_key(), {}, std::nullopt, signature_format};
    std::optional<std::span<const std::uint8_t>> previous_signature;
    if (!previous.empty()) previous_signature = previous.back().signature;
    out.signature = signer.sign(crypto::block_signature_payload(
        {out.data, out.next_key, {}, previous_signature, signature_format}));
    return out;
}

datalog::TokenBlock decoded(const datalog::BlockCode& code, const SignedBlock& sb) {
    // The block as a parsed token holds it: the builder's code with the version written.
    schema::Block block;
    parse_quietly(block, sb.data);
    datalog::TokenBlock out{code, std::nullopt};
    out.code.version = block.version();
    return out;
}

}  // namespace

Biscuit::Biscuit(std::shared_ptr<const State> state) : state_(std::move(state)) {}

Biscuit Biscuit::from_bytes(std::span<const std::uint8_t> bytes, const PublicKey& root,
                            const ParseOptions& options) {
    const SingleRootKey roots(root);
    return parse(bytes, &roots, options);
}

Biscuit Biscuit::from_base64(std::string_view text, const PublicKey& root,
                             const ParseOptions& options) {
    const SingleRootKey roots(root);
    return parse(decode_text(text, options), &roots, options);
}

Biscuit Biscuit::from_bytes(std::span<const std::uint8_t> bytes, const RootKeyProvider& roots,
                            const ParseOptions& options) {
    return parse(bytes, &roots, options);
}

Biscuit Biscuit::from_base64(std::string_view text, const RootKeyProvider& roots,
                             const ParseOptions& options) {
    return parse(decode_text(text, options), &roots, options);
}

Biscuit Biscuit::unverified_from_bytes(std::span<const std::uint8_t> bytes,
                                       const ParseOptions& options) {
    return parse(bytes, nullptr, options);
}

Biscuit Biscuit::unverified_from_base64(std::string_view text, const ParseOptions& options) {
    return parse(decode_text(text, options), nullptr, options);
}

Biscuit Biscuit::mint(const KeyPair& root, const BlockBuilder& authority,
                      std::optional<std::uint32_t> root_key_id) {
    auto next = KeyPair::generate(root.public_key().algorithm());
    State state{root_key_id, {}, {}, {}, next.private_key(), true, {}, {}};
    state.signed_blocks.push_back(sign_block(authority.code(), authority.context(), state.symbols,
                                             state.public_keys, root.private_key(), next, {}));
    state.blocks.push_back(decoded(authority.code(), state.signed_blocks.back()));
    state.contexts.push_back(authority.context());
    return Biscuit(std::make_shared<State>(std::move(state)));
}

Biscuit Biscuit::attenuate(const BlockBuilder& block) const {
    const auto* secret = std::get_if<PrivateKey>(&state_->proof);
    if (!secret) throw Error(ErrorKind::AppendOnSealed, "AppendOnSealed");
    if (state_->signed_blocks.size() + 1 > kMaxBlocks)
        throw Error(FormatError::DeserializationError, "too many blocks");
    auto next = KeyPair::generate(secret->algorithm());
    State state = *state_;
    state.signed_blocks.push_back(sign_block(block.code(), block.context(), state.symbols,
                                             state.public_keys, *secret, next,
                                             state_->signed_blocks));
    state.blocks.push_back(decoded(block.code(), state.signed_blocks.back()));
    state.contexts.push_back(block.context());
    state.proof = next.private_key();
    return Biscuit(std::make_shared<State>(std::move(state)));
}

Biscuit Biscuit::seal() const {
    const auto* secret = std::get_if<PrivateKey>(&state_->proof);
    if (!secret) throw Error(ErrorKind::AlreadySealed, "AlreadySealed");
    const SignedBlock& last = state_->signed_blocks.back();
    Bytes signature =
        secret->sign(crypto::seal_signature_payload(last.data, last.next_key, last.signature));
    State state = *state_;
    state.proof = std::move(signature);
    return Biscuit(std::make_shared<State>(std::move(state)));
}

std::string Biscuit::third_party_request() const {
    if (sealed()) throw Error(ErrorKind::AppendOnSealed, "AppendOnSealed");
    const SignedBlock& last = state_->signed_blocks.back();
    schema::ThirdPartyBlockRequest request;
    request.set_previoussignature(std::string(last.signature.begin(), last.signature.end()));
    std::string out = request.SerializeAsString();
    return base64_encode(as_bytes(out));
}

std::string Biscuit::create_third_party_block(std::string_view request_text,
                                              const KeyPair& external, const BlockBuilder& block) {
    const auto raw = base64_decode(request_text);
    schema::ThirdPartyBlockRequest request;
    if (raw.size() > ParseOptions{}.max_size || !parse_quietly(request, raw))
        malformed("not a third-party block request");
    // The third party does not see the token: its block has its own symbol and key tables.
    format::SymbolTable symbols;
    format::PublicKeyTable keys;
    datalog::BlockCode code = block.code();
    code.version = std::max(code.version, format::kDatalog32);
    schema::Block proto_block;
    format::encode_block(code, block.context(), symbols, keys, proto_block);
    const std::string payload = proto_block.SerializeAsString();
    const auto signature = external.private_key().sign(crypto::external_signature_payload(
        as_bytes(payload), external.public_key(), as_bytes(request.previoussignature()), 1));

    schema::ThirdPartyBlockContents contents;
    contents.set_payload(payload);
    contents.mutable_externalsignature()->set_signature(
        std::string(signature.begin(), signature.end()));
    key_to_proto(external.public_key(), *contents.mutable_externalsignature()->mutable_publickey());
    std::string out = contents.SerializeAsString();
    return base64_encode(as_bytes(out));
}

Biscuit Biscuit::append_third_party(const PublicKey& external_key,
                                    std::string_view contents_text) const {
    const auto* secret = std::get_if<PrivateKey>(&state_->proof);
    if (!secret) throw Error(ErrorKind::AppendOnSealed, "AppendOnSealed");
    if (state_->signed_blocks.size() + 1 > kMaxBlocks) malformed("too many blocks");
    const auto raw = base64_decode(contents_text);
    schema::ThirdPartyBlockContents contents;
    if (raw.size() > ParseOptions{}.max_size || !parse_quietly(contents, raw))
        malformed("not third-party block contents");
    const PublicKey signer = key_from_proto(contents.externalsignature().publickey());
    if (!(signer == external_key))
        throw Error(FormatError::InvalidSignature,
                    "the block is not signed by the expected third party");
    const SignedBlock& last = state_->signed_blocks.back();
    const Bytes data(contents.payload().begin(), contents.payload().end());
    const Bytes external_signature(contents.externalsignature().signature().begin(),
                                   contents.externalsignature().signature().end());
    external_key.verify(crypto::external_signature_payload(data, last.next_key, last.signature, 1),
                        external_signature);

    schema::Block block;
    if (!parse_quietly(block, data))
        throw Error(FormatError::BlockDeserializationError, "error deserializing block");
    format::SymbolTable own_symbols;
    own_symbols.extend({block.symbols().begin(), block.symbols().end()});
    format::PublicKeyTable own_keys;
    std::vector<datalog::PublicKey> keys;
    for (const auto& k : block.publickeys()) keys.push_back(key_from_proto(k));
    own_keys.extend(keys);
    datalog::TokenBlock decoded_block{format::decode_block(block, own_symbols, own_keys, true),
                                      external_key};

    auto next = KeyPair::generate(secret->algorithm());
    SignedBlock signed_block{
        data, next.public_key(), {}, ExternalSignature{external_signature, external_key}, 1};
    signed_block.signature = secret->sign(
        crypto::block_signature_payload({signed_block.data, signed_block.next_key,
                                         std::span<const std::uint8_t>(external_signature),
                                         std::span<const std::uint8_t>(last.signature), 1}));

    State state = *state_;
    state.signed_blocks.push_back(std::move(signed_block));
    state.blocks.push_back(std::move(decoded_block));
    state.contexts.push_back(block.has_context() ? block.context() : std::string());
    state.proof = next.private_key();
    return Biscuit(std::make_shared<State>(std::move(state)));
}

std::vector<std::uint8_t> Biscuit::to_bytes() const {
    schema::Biscuit proto;
    if (state_->root_key_id) proto.set_rootkeyid(*state_->root_key_id);
    for (std::size_t i = 0; i < state_->signed_blocks.size(); ++i) {
        const SignedBlock& b = state_->signed_blocks[i];
        schema::SignedBlock* out = i == 0 ? proto.mutable_authority() : proto.add_blocks();
        out->set_block(std::string(b.data.begin(), b.data.end()));
        key_to_proto(b.next_key, *out->mutable_nextkey());
        out->set_signature(std::string(b.signature.begin(), b.signature.end()));
        if (b.external) {
            auto* ext = out->mutable_externalsignature();
            ext->set_signature(
                std::string(b.external->signature.begin(), b.external->signature.end()));
            key_to_proto(b.external->public_key, *ext->mutable_publickey());
        }
        if (b.signature_format != 0) out->set_version(b.signature_format);
    }
    if (const auto* secret = std::get_if<PrivateKey>(&state_->proof))
        proto.mutable_proof()->set_nextsecret(
            std::string(secret->bytes().begin(), secret->bytes().end()));
    else {
        const auto& sig = std::get<Bytes>(state_->proof);
        proto.mutable_proof()->set_finalsignature(std::string(sig.begin(), sig.end()));
    }
    std::string out = proto.SerializeAsString();
    return {out.begin(), out.end()};
}

std::string Biscuit::to_base64() const {
    return base64_encode(to_bytes());
}

bool Biscuit::verified() const {
    return state_->verified;
}
bool Biscuit::sealed() const {
    return std::holds_alternative<Bytes>(state_->proof);
}
std::optional<std::uint32_t> Biscuit::root_key_id() const {
    return state_->root_key_id;
}
std::size_t Biscuit::block_count() const {
    return state_->blocks.size();
}
const std::vector<datalog::TokenBlock>& Biscuit::blocks() const {
    return state_->blocks;
}
const std::string& Biscuit::block_context(std::size_t index) const {
    return state_->contexts.at(index);
}

std::vector<std::string> Biscuit::revocation_ids() const {
    std::vector<std::string> out;
    out.reserve(state_->signed_blocks.size());
    for (const auto& b : state_->signed_blocks) out.push_back(to_hex(b.signature));
    return out;
}

std::string Biscuit::print_block(std::size_t index) const {
    return datalog::to_string(state_->blocks.at(index).code);
}

}  // namespace biscuit
