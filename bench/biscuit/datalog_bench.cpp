// Datalog time of the COGNIT token: authority block `user; password; check time < 2030`, and the
// ECF's authorizer `time(now); allow if user($u), password($p);`. Parsing is outside the loop.
#include <benchmark/benchmark.h>

#include <biscuit/datalog/engine.hpp>
#include <biscuit/datalog/parser.hpp>

namespace bd = biscuit::datalog;

namespace {

std::vector<bd::TokenBlock> cognit_blocks() {
    return {{bd::parse_block("user(\"alice\");\npassword(\"secret\");\n"
                             "check if time($time), $time < 2030-01-01T00:00:00Z;"),
             std::nullopt}};
}

bd::AuthorizerCode cognit_authorizer() {
    bd::Parameters params;
    params.terms["now"] = bd::Term::date(1767225600);
    return bd::parse_authorizer("time({now});\nallow if user($u), password($p);", params);
}

void BM_DatalogCognitAuthorize(benchmark::State& state) {
    const auto blocks = cognit_blocks();
    const auto code = cognit_authorizer();
    for (auto _ : state) {
        auto outcome = bd::authorize(blocks, code);
        if (!outcome.ok()) state.SkipWithError("refused");
        benchmark::DoNotOptimize(outcome);
    }
}
BENCHMARK(BM_DatalogCognitAuthorize);

// What the ECF does after authorizing: read the user and the password from the authority block.
void BM_DatalogCognitAuthorizeAndQuery(benchmark::State& state) {
    const auto blocks = cognit_blocks();
    const auto code = cognit_authorizer();
    const auto user = bd::parse_rule("u($u) <- user($u) trusting authority");
    const auto password = bd::parse_rule("p($p) <- password($p) trusting authority");
    for (auto _ : state) {
        auto outcome = bd::authorize(blocks, code);
        auto u = outcome.query(user);
        auto p = outcome.query(password);
        benchmark::DoNotOptimize(u);
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(BM_DatalogCognitAuthorizeAndQuery);

void BM_DatalogParseCognitAuthorizer(benchmark::State& state) {
    bd::Parameters params;
    params.terms["now"] = bd::Term::date(1767225600);
    for (auto _ : state) {
        auto code = bd::parse_authorizer("time({now});\nallow if user($u), password($p);", params);
        benchmark::DoNotOptimize(code);
    }
}
BENCHMARK(BM_DatalogParseCognitAuthorizer);

// A transitive closure over 30 edges: exercises the fixpoint loop.
void BM_DatalogTransitiveClosure(benchmark::State& state) {
    std::string src;
    for (int i = 0; i < 30; ++i)
        src += "e(" + std::to_string(i) + ", " + std::to_string(i + 1) + ");\n";
    src += "r($x, $y) <- e($x, $y);\nr($x, $z) <- r($x, $y), e($y, $z);\n";
    const std::vector<bd::TokenBlock> blocks{{bd::parse_block(src), std::nullopt}};
    const auto code = bd::parse_authorizer("allow if r(0, 30);");
    bd::RunLimits limits;
    limits.max_time = std::chrono::seconds(1);
    for (auto _ : state) {
        auto outcome = bd::authorize(blocks, code, limits);
        if (!outcome.ok()) state.SkipWithError(outcome.error()->what());
        benchmark::DoNotOptimize(outcome);
    }
}
BENCHMARK(BM_DatalogTransitiveClosure);

}  // namespace

BENCHMARK_MAIN();
