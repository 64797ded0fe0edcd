// Fuzzes the Datalog text parser and printer, and the engine on what parses: any input must give
// a value or a biscuit::Error, never a crash or a hang; whatever parses must print to text that
// parses back to the same text.
#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>
#include <biscuit/datalog/printer.hpp>
#include <biscuit/error.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace bd = biscuit::datalog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    bd::AuthorizerCode code;
    try {
        code = bd::parse_authorizer(text);
    } catch (const biscuit::Error&) {
        return 0;
    }
    const std::string printed = bd::to_string(code);
    try {
        if (bd::to_string(bd::parse_authorizer(printed)) != printed) std::abort();
    } catch (const biscuit::Error&) {
        std::abort();  // printed text must parse
    }
    bd::RunLimits limits;
    limits.max_time = std::chrono::milliseconds(5);
    std::vector<bd::TokenBlock> blocks{
        {bd::BlockCode{code.facts, code.rules, code.checks, {}, 3}, std::nullopt}};
    try {
        auto outcome = bd::authorize(blocks, code, limits);
        (void)outcome.world();
    } catch (const biscuit::Error&) {
    }
    return 0;
}
