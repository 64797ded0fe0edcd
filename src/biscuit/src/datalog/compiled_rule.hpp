#pragma once

// Rules, queries and expressions translated to interned values, ready to run.

#include <biscuit/datalog/ast.hpp>
#include <cstdint>
#include <vector>

#include "value_store.hpp"

namespace biscuit::datalog::internal {

// A set of block ids: bit i for block i (i < 63), bit 63 for the authorizer.
using Origins = std::uint64_t;
inline constexpr Origins kAuthorizerBit = Origins{1} << 63;
inline constexpr std::size_t kMaxBlocks = 63;

struct CompiledOp {
    enum class Tag : std::uint8_t { Value, Unary, Binary, Closure };
    Tag tag = Tag::Value;
    std::uint8_t op = 0;        // UnaryOp or BinaryOp
    std::uint32_t closure = 0;  // index into CompiledRule::closures
    Value value;
};

struct CompiledClosure {
    std::vector<std::uint32_t> params;  // variable ids
    std::vector<CompiledOp> ops;
    // A parameter shadows a variable of the body or of an enclosing closure: applying the
    // closure is an Execution/ShadowedVariable error (not compiling it: the reference only
    // fails when the operator runs).
    bool shadows = false;
};

struct CompiledExpression {
    std::vector<CompiledOp> ops;
};

struct CompiledPredicate {
    std::uint32_t name = 0;
    std::vector<Value> terms;  // Kind::Variable holds a variable id
};

struct CompiledRule {
    CompiledPredicate head;
    std::vector<CompiledPredicate> body;
    std::vector<CompiledExpression> expressions;
    std::vector<CompiledClosure> closures;
    std::uint32_t variable_count = 0;
    Origins trusted = 0;  // facts whose origins are a subset of this are visible
    Origins block = 0;    // the origin bit of the block the rule comes from
};

CompiledRule compile_rule(const Rule& rule, ValueStore& store);

}  // namespace biscuit::datalog::internal
