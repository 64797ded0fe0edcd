#include <algorithm>
#include <array>
#include <biscuit/error.hpp>
#include <span>

namespace biscuit {

namespace {

// Each family's variant names, in the order of its enum (the last, Other, has none: the name
// given is kept). The names are the reference's, as its samples print them.
constexpr std::array<std::string_view, 20> kFormatNames = {
    "Signature/InvalidFormat",
    "Signature/InvalidSignature",
    "Signature/InvalidSignatureGeneration",
    "SealedSignature",
    "EmptyKeys",
    "UnknownPublicKey",
    "DeserializationError",
    "SerializationError",
    "BlockDeserializationError",
    "BlockSerializationError",
    "Version",
    "InvalidKeySize",
    "InvalidSignatureSize",
    "InvalidKey",
    "SignatureDeserializationError",
    "BlockSignatureDeserializationError",
    "UnknownSymbol",
    "SymbolTableOverlap",
    "UnverifiedToken",
    "TooManyBlocks",
};
constexpr std::array<std::string_view, 5> kLogicNames = {
    "InvalidBlockRule", "Unauthorized", "AuthorizerNotEmpty", "NoMatchingPolicy", "InvalidFact",
};
constexpr std::array<std::string_view, 9> kExecutionNames = {
    "UnknownSymbol", "UnknownVariable",  "InvalidType",  "Overflow",      "DivideByZero",
    "InvalidStack",  "ShadowedVariable", "InvalidRegex", "ValueTooLarge",
};
constexpr std::array<std::string_view, 5> kRunLimitNames = {
    "TooManyFacts", "TooManyIterations", "Timeout", "TooMuchMemory", "TooManyPredicates",
};
constexpr std::array<std::string_view, 4> kLanguageNames = {
    "ParseError",
    "UnknownParameter",
    "UnusedParameter",
    "UnsafeRule",
};
constexpr std::array<std::string_view, 4> kBase64Names = {
    "InvalidLength",
    "InvalidPadding",
    "InvalidCharacter",
    "InvalidLastSymbol",
};

static_assert(kFormatNames.size() == static_cast<std::size_t>(FormatError::Other));
static_assert(kLogicNames.size() == static_cast<std::size_t>(LogicError::Other));
static_assert(kExecutionNames.size() == static_cast<std::size_t>(ExecutionError::Other));
static_assert(kRunLimitNames.size() == static_cast<std::size_t>(RunLimitError::Other));
static_assert(kLanguageNames.size() == static_cast<std::size_t>(LanguageError::Other));
static_assert(kBase64Names.size() == static_cast<std::size_t>(Base64Error::Other));

// The names of a family's variants; empty for the families without variants.
std::span<const std::string_view> names_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Format:
            return kFormatNames;
        case ErrorKind::FailedLogic:
            return kLogicNames;
        case ErrorKind::Execution:
            return kExecutionNames;
        case ErrorKind::RunLimit:
            return kRunLimitNames;
        case ErrorKind::Language:
            return kLanguageNames;
        case ErrorKind::Base64:
            return kBase64Names;
        default:
            return {};
    }
}

template <typename Code>
std::optional<Code> code_if(ErrorKind kind, ErrorKind wanted, std::uint8_t code) {
    if (kind != wanted) return std::nullopt;
    return static_cast<Code>(code);
}

}  // namespace

Error::Error(Typed, ErrorKind kind, std::uint8_t code, std::string detail)
    : kind_(kind), code_(code), detail_(std::move(detail)) {
    const auto names = names_of(kind);
    sub_kind_ = code < names.size() ? std::string(names[code]) : std::string(name_of(kind));
    describe();
}

Error::Error(FormatError code, std::string detail)
    : Error(Typed{}, ErrorKind::Format, static_cast<std::uint8_t>(code), std::move(detail)) {}
Error::Error(LogicError code, std::string detail)
    : Error(Typed{}, ErrorKind::FailedLogic, static_cast<std::uint8_t>(code), std::move(detail)) {}
Error::Error(ExecutionError code, std::string detail)
    : Error(Typed{}, ErrorKind::Execution, static_cast<std::uint8_t>(code), std::move(detail)) {}
Error::Error(RunLimitError code, std::string detail)
    : Error(Typed{}, ErrorKind::RunLimit, static_cast<std::uint8_t>(code), std::move(detail)) {}
Error::Error(LanguageError code, std::string detail)
    : Error(Typed{}, ErrorKind::Language, static_cast<std::uint8_t>(code), std::move(detail)) {}
Error::Error(Base64Error code, std::string detail)
    : Error(Typed{}, ErrorKind::Base64, static_cast<std::uint8_t>(code), std::move(detail)) {}

Error::Error(ErrorKind kind, std::string_view sub_kind, std::string detail)
    : kind_(kind), sub_kind_(sub_kind), detail_(std::move(detail)) {
    const auto names = names_of(kind);
    const auto found = std::find(names.begin(), names.end(), sub_kind);
    // Not found: the family's Other, which is the enum's value after the named ones.
    code_ = static_cast<std::uint8_t>(found - names.begin());
    describe();
}

void Error::describe() {
    what_ = std::string(kind_name()) + ": " + sub_kind_;
    if (!detail_.empty()) what_ += ": " + detail_;
}

Error Error::unauthorized(std::optional<MatchedPolicy> policy, std::vector<FailedCheck> checks) {
    Error e(policy ? LogicError::Unauthorized : LogicError::NoMatchingPolicy);
    e.policy_ = policy;
    e.failed_checks_ = std::move(checks);
    return e;
}

Error Error::invalid_block_rule(std::uint32_t index, std::string rule) {
    Error e(LogicError::InvalidBlockRule, rule);
    e.invalid_rule_ = InvalidRule{index, std::move(rule)};
    return e;
}

Error Error::version(std::uint32_t minimum, std::uint32_t maximum, std::uint32_t actual) {
    Error e(FormatError::Version, "minimum " + std::to_string(minimum) + ", maximum " +
                                      std::to_string(maximum) + ", actual " +
                                      std::to_string(actual));
    e.version_ = VersionRange{minimum, maximum, actual};
    return e;
}

Error Error::invalid_key_size(std::size_t size) {
    Error e(FormatError::InvalidKeySize, std::to_string(size));
    e.size_ = size;
    return e;
}

Error Error::invalid_signature_size(std::size_t size) {
    Error e(FormatError::InvalidSignatureSize, std::to_string(size));
    e.size_ = size;
    return e;
}

Error Error::parse_error(std::size_t offset, std::string message) {
    Error e(LanguageError::ParseError, message + " at offset " + std::to_string(offset));
    e.parse_position_ = ParsePosition{offset, std::move(message)};
    return e;
}

Error Error::parameter(LanguageError code, std::string name) {
    Error e(code, name);
    e.parameter_ = std::move(name);
    return e;
}

std::optional<FormatError> Error::format() const noexcept {
    return code_if<FormatError>(kind_, ErrorKind::Format, code_);
}
std::optional<LogicError> Error::logic() const noexcept {
    return code_if<LogicError>(kind_, ErrorKind::FailedLogic, code_);
}
std::optional<ExecutionError> Error::execution() const noexcept {
    return code_if<ExecutionError>(kind_, ErrorKind::Execution, code_);
}
std::optional<RunLimitError> Error::run_limit() const noexcept {
    return code_if<RunLimitError>(kind_, ErrorKind::RunLimit, code_);
}
std::optional<LanguageError> Error::language() const noexcept {
    return code_if<LanguageError>(kind_, ErrorKind::Language, code_);
}
std::optional<Base64Error> Error::base64() const noexcept {
    return code_if<Base64Error>(kind_, ErrorKind::Base64, code_);
}

bool Error::is_signature_error() const noexcept {
    const auto f = format();
    return f == FormatError::InvalidSignatureFormat || f == FormatError::InvalidSignature ||
           f == FormatError::SignatureGeneration || f == FormatError::SealedSignature;
}

std::string_view Error::name_of(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Format:
            return "Format";
        case ErrorKind::FailedLogic:
            return "FailedLogic";
        case ErrorKind::Execution:
            return "Execution";
        case ErrorKind::RunLimit:
            return "RunLimit";
        case ErrorKind::Language:
            return "Language";
        case ErrorKind::AppendOnSealed:
            return "AppendOnSealed";
        case ErrorKind::AlreadySealed:
            return "AlreadySealed";
        case ErrorKind::ConversionError:
            return "ConversionError";
        case ErrorKind::Base64:
            return "Base64";
    }
    return "Unknown";
}

}  // namespace biscuit
