#pragma once

// The library's errors, typed after the reference implementation's `biscuit_auth::error::Token`:
// a family (ErrorKind), a variant inside it (FormatError, LogicError, ExecutionError,
// RunLimitError, LanguageError, Base64Error) and the variant's data (the failed checks, the
// matched policy, the version range, the key size, the parse position...). Callers switch on
// those values; the text (what(), detail()) is for people only.
//
//   try { authorizer.authorize(); }
//   catch (const biscuit::Error& e) {
//       if (e.logic() == biscuit::LogicError::Unauthorized)
//           for (const biscuit::FailedCheck& c : e.failed_checks()) inspect(c.check);
//       else if (e.kind() == biscuit::ErrorKind::RunLimit) ...
//   }

#include <biscuit/datalog/ast.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace biscuit {

// The error families, named as the reference's conformance samples print them
// (`{"Err": {"FailedLogic": ...}}`), so tests can compare kinds across implementations.
enum class ErrorKind {
    Format,       // wire format, keys, signatures: FormatError
    FailedLogic,  // authorization refused or impossible: LogicError
    Execution,    // expression evaluation: ExecutionError
    RunLimit,     // RunLimitError
    Language,     // Datalog text: LanguageError
    AppendOnSealed,
    AlreadySealed,
    ConversionError,  // a term is not of the type asked for (typed queries)
    Base64,           // Base64Error
};

// The reference's `error::Format` (with its `Signature` sub-enum flattened in), and a few of our
// own after the reference's ones. `Other` is a name this version does not know (see
// Error(ErrorKind, std::string_view, std::string)).
enum class FormatError : std::uint8_t {
    InvalidSignatureFormat,     // Signature/InvalidFormat
    InvalidSignature,           // Signature/InvalidSignature
    SignatureGeneration,        // Signature/InvalidSignatureGeneration
    SealedSignature,            // the final signature of a sealed token does not verify
    EmptyKeys,                  // the token carries no next key
    UnknownPublicKey,           // a public key index outside the token's table, or no root key
    DeserializationError,       // the wrapper (Biscuit message)
    SerializationError,         //
    BlockDeserializationError,  // a block's bytes
    BlockSerializationError,    //
    Version,                    // a block's version outside [minimum, maximum]: version()
    InvalidKeySize,             // size()
    InvalidSignatureSize,       // size()
    InvalidKey,                 // bytes that are no key of that algorithm, bad hex
    SignatureDeserializationError,
    BlockSignatureDeserializationError,
    UnknownSymbol,       // a symbol index outside the token's table (the reference: Execution)
    SymbolTableOverlap,  // two blocks declare the same symbols (the reference: a Token variant)
    UnverifiedToken,     // an authorizer was given a token parsed without a root key
    TooManyBlocks,       // more blocks than the engine represents (63)
    Other,
};

// The reference's `error::Logic`, plus InvalidFact (a fact holding a variable).
enum class LogicError : std::uint8_t {
    InvalidBlockRule,  // invalid_rule()
    Unauthorized,      // policy() and failed_checks()
    AuthorizerNotEmpty,
    NoMatchingPolicy,  // failed_checks()
    InvalidFact,
    Other,
};

// The reference's `datalog::Expression` errors, plus the bounds of our own.
enum class ExecutionError : std::uint8_t {
    UnknownSymbol,
    UnknownVariable,
    InvalidType,
    Overflow,
    DivideByZero,
    InvalidStack,
    ShadowedVariable,
    InvalidRegex,
    ValueTooLarge,  // one operation built a value over RunLimits::max_value_bytes
    Other,
};

enum class RunLimitError : std::uint8_t {
    TooManyFacts,
    TooManyIterations,
    Timeout,
    TooMuchMemory,      // RunLimits::max_interned_bytes
    TooManyPredicates,  // more distinct predicate names than the engine indexes
    Other,
};

enum class LanguageError : std::uint8_t {
    ParseError,        // parse_position()
    UnknownParameter,  // a `{name}` without a value: parameter()
    UnusedParameter,   // a value no `{name}` uses: parameter()
    UnsafeRule,        // a head variable not bound by the body
    Other,
};

enum class Base64Error : std::uint8_t {
    InvalidLength,
    InvalidPadding,
    InvalidCharacter,
    InvalidLastSymbol,
    Other,
};

// A check that did not succeed, as listed by an Unauthorized or NoMatchingPolicy error: where it
// came from, its index there, and the check itself (as data, and as the reference prints it).
struct FailedCheck {
    enum class Origin { Block, Authorizer };
    Origin origin = Origin::Block;
    std::uint32_t block_id = 0;  // meaningful for Origin::Block only
    std::uint32_t check_id = 0;
    std::string rule;      // canonical text, e.g. `check if resource($0)`, for people
    datalog::Check check;  // the check as data: inspect this, not `rule`
};

struct MatchedPolicy {
    enum class Kind { Allow, Deny };
    Kind kind = Kind::Allow;
    std::size_t index = 0;
};

// FormatError::Version.
struct VersionRange {
    std::uint32_t minimum = 0;
    std::uint32_t maximum = 0;
    std::uint32_t actual = 0;
};

// LogicError::InvalidBlockRule: the rule's index in its block and its text.
struct InvalidRule {
    std::uint32_t index = 0;
    std::string rule;
};

// LanguageError::ParseError: where in the source, and what was expected there.
struct ParsePosition {
    std::size_t offset = 0;
    std::string message;
};

// The library's only exception type. Immutable once built; copies are independent.
class Error : public std::exception {
  public:
    explicit Error(FormatError code, std::string detail = {});
    explicit Error(LogicError code, std::string detail = {});
    explicit Error(ExecutionError code, std::string detail = {});
    explicit Error(RunLimitError code, std::string detail = {});
    explicit Error(LanguageError code, std::string detail = {});
    explicit Error(Base64Error code, std::string detail = {});
    // By the reference's variant name, as its samples print it ("Signature/InvalidSignature",
    // "TooManyFacts"), or for the families without variants (AppendOnSealed, AlreadySealed,
    // ConversionError) their own name: the name is mapped to the typed variant; a name this
    // version does not know becomes the family's `Other`, and sub_kind() keeps it.
    Error(ErrorKind kind, std::string_view sub_kind, std::string detail = {});

    // Builders of the variants that carry data.
    static Error unauthorized(std::optional<MatchedPolicy> policy, std::vector<FailedCheck> checks);
    static Error invalid_block_rule(std::uint32_t index, std::string rule);
    static Error version(std::uint32_t minimum, std::uint32_t maximum, std::uint32_t actual);
    static Error invalid_key_size(std::size_t size);
    static Error invalid_signature_size(std::size_t size);
    static Error parse_error(std::size_t offset, std::string message);
    static Error parameter(LanguageError code, std::string name);  // Unknown/UnusedParameter

    ErrorKind kind() const noexcept { return kind_; }
    // The variant, when the error is of that family (otherwise nullopt).
    std::optional<FormatError> format() const noexcept;
    std::optional<LogicError> logic() const noexcept;
    std::optional<ExecutionError> execution() const noexcept;
    std::optional<RunLimitError> run_limit() const noexcept;
    std::optional<LanguageError> language() const noexcept;
    std::optional<Base64Error> base64() const noexcept;
    // Signature/InvalidFormat, Signature/InvalidSignature, Signature/InvalidSignatureGeneration
    // and SealedSignature: the token's signatures are wrong, as opposed to its encoding.
    bool is_signature_error() const noexcept;

    // The variants' data (empty when the variant has none).
    const std::vector<FailedCheck>& failed_checks() const noexcept { return failed_checks_; }
    // Unauthorized: the policy that matched (a deny policy, or an allow policy overruled by
    // failed checks).
    const std::optional<MatchedPolicy>& policy() const noexcept { return policy_; }
    const std::optional<InvalidRule>& invalid_rule() const noexcept { return invalid_rule_; }
    const std::optional<VersionRange>& version() const noexcept { return version_; }
    // InvalidKeySize / InvalidSignatureSize: the size found, in bytes.
    const std::optional<std::size_t>& size() const noexcept { return size_; }
    const std::optional<ParsePosition>& parse_position() const noexcept { return parse_position_; }
    const std::string& parameter() const noexcept { return parameter_; }

    // For people and logs: the family's name, the variant's name as the reference prints it
    // ("Signature/InvalidSignature", "Unauthorized"), free text. Never holds secret material.
    std::string_view kind_name() const noexcept { return name_of(kind_); }
    const std::string& sub_kind() const noexcept { return sub_kind_; }
    const std::string& detail() const noexcept { return detail_; }
    const char* what() const noexcept override { return what_.c_str(); }

    static std::string_view name_of(ErrorKind kind) noexcept;

    // Kept for code written against the string API: the same as invalid_rule()'s fields.
    std::optional<std::uint32_t> rule_index() const {
        return invalid_rule_ ? std::optional<std::uint32_t>(invalid_rule_->index) : std::nullopt;
    }
    std::string rule_text() const { return invalid_rule_ ? invalid_rule_->rule : std::string(); }

  private:
    struct Typed {};
    Error(Typed, ErrorKind kind, std::uint8_t code, std::string detail);
    void describe();

    ErrorKind kind_;
    std::uint8_t code_ = 0;  // the variant, as the family's enum
    std::string sub_kind_;
    std::string detail_;
    std::string what_;
    std::vector<FailedCheck> failed_checks_;
    std::optional<MatchedPolicy> policy_;
    std::optional<InvalidRule> invalid_rule_;
    std::optional<VersionRange> version_;
    std::optional<std::size_t> size_;
    std::optional<ParsePosition> parse_position_;
    std::string parameter_;
};

}  // namespace biscuit
