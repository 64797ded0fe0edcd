#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace biscuit {

// The error families of the reference implementation, named as its conformance samples print them
// (`{"Err": {"FailedLogic": ...}}`), so tests can compare kinds across implementations.
enum class ErrorKind {
    Format,       // wire format, keys, signatures: sub-kinds "Signature/InvalidSignature",
                  // "InvalidSignatureSize", "DeserializationError", "UnknownPublicKey", ...
    FailedLogic,  // "Unauthorized", "InvalidBlockRule", "NoMatchingPolicy", "AuthorizerNotEmpty"
    Execution,    // expression evaluation: "Overflow", "InvalidType", "DivideByZero",
                  // "UnknownVariable", "InvalidStack", "UnknownSymbol"
    RunLimit,     // "TooManyFacts", "TooManyIterations", "Timeout"
    Language,     // Datalog text: "ParseError", "UnknownParameter", "UnsafeRule"
    AppendOnSealed,
    AlreadySealed,
    ConversionError,
    Base64,
};

// A check that did not succeed, as listed by an Unauthorized or NoMatchingPolicy error.
struct FailedCheck {
    enum class Origin { Block, Authorizer };
    Origin origin = Origin::Block;
    std::uint32_t block_id = 0;  // meaningful for Origin::Block only
    std::uint32_t check_id = 0;
    std::string rule;  // canonical text, e.g. `check if resource($0)`
};

struct MatchedPolicy {
    enum class Kind { Allow, Deny };
    Kind kind = Kind::Allow;
    std::size_t index = 0;
};

// The library's only exception type. `sub_kind()` is the reference's variant name inside the
// family (for Format signatures, "Signature/InvalidSignature"); `detail()` is free text for
// people and never holds secret material.
class Error : public std::exception {
  public:
    Error(ErrorKind kind, std::string sub_kind, std::string detail = {})
        : kind_(kind), sub_kind_(std::move(sub_kind)), detail_(std::move(detail)) {
        what_ = std::string(kind_name()) + ": " + sub_kind_;
        if (!detail_.empty()) what_ += ": " + detail_;
    }

    ErrorKind kind() const noexcept { return kind_; }
    const std::string& sub_kind() const noexcept { return sub_kind_; }
    const std::string& detail() const noexcept { return detail_; }
    const char* what() const noexcept override { return what_.c_str(); }

    std::string_view kind_name() const noexcept { return name_of(kind_); }

    static std::string_view name_of(ErrorKind kind) noexcept {
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

    // FailedLogic/Unauthorized and FailedLogic/NoMatchingPolicy: every check that failed.
    const std::vector<FailedCheck>& failed_checks() const noexcept { return failed_checks_; }
    // FailedLogic/Unauthorized: the policy that matched (a deny policy, or an allow policy
    // overruled by failed checks).
    const std::optional<MatchedPolicy>& policy() const noexcept { return policy_; }
    // FailedLogic/InvalidBlockRule: [index, rule text] as the reference prints it.
    const std::optional<std::uint32_t>& rule_index() const noexcept { return rule_index_; }
    const std::string& rule_text() const noexcept { return rule_text_; }

    static Error unauthorized(std::optional<MatchedPolicy> policy,
                              std::vector<FailedCheck> checks) {
        Error e(ErrorKind::FailedLogic, policy ? "Unauthorized" : "NoMatchingPolicy");
        e.policy_ = policy;
        e.failed_checks_ = std::move(checks);
        return e;
    }
    static Error invalid_block_rule(std::uint32_t index, std::string rule) {
        Error e(ErrorKind::FailedLogic, "InvalidBlockRule", rule);
        e.rule_index_ = index;
        e.rule_text_ = std::move(rule);
        return e;
    }

  private:
    ErrorKind kind_;
    std::string sub_kind_;
    std::string detail_;
    std::string what_;
    std::vector<FailedCheck> failed_checks_;
    std::optional<MatchedPolicy> policy_;
    std::optional<std::uint32_t> rule_index_;
    std::string rule_text_;
};

}  // namespace biscuit
