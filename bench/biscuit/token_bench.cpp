// A COGNIT-shaped token end to end: base64 decoding, protobuf parsing, Ed25519 verification and
// authorization with the ECF's authorizer, then reading the user and password back.
#include <benchmark/benchmark.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/crypto.hpp>

namespace {

struct CognitToken {
    biscuit::KeyPair root = biscuit::KeyPair::generate();
    std::string base64 =
        biscuit::Biscuit::mint(
            root, biscuit::BlockBuilder("user(\"alice\");\npassword(\"secret\");\n"
                                        "check if time($time), $time < 2030-01-01T00:00:00Z;"))
            .to_base64();
};

biscuit::datalog::Parameters now() {
    biscuit::datalog::Parameters params;
    params.terms["now"] = biscuit::datalog::Term::date(1767225600);
    return params;
}

void BM_TokenCognitParseVerifyAuthorize(benchmark::State& state) {
    const CognitToken token;
    const auto params = now();
    for (auto _ : state) {
        auto parsed = biscuit::Biscuit::from_base64(token.base64, token.root.public_key());
        biscuit::Authorizer authorizer;
        authorizer.add_token(parsed);
        authorizer.add_code("time({now});\nallow if user($u), password($p);", params);
        benchmark::DoNotOptimize(authorizer.authorize());
        auto user = authorizer.query("u($u) <- user($u) trusting authority");
        auto password = authorizer.query("p($p) <- password($p) trusting authority");
        benchmark::DoNotOptimize(user);
        benchmark::DoNotOptimize(password);
    }
}
BENCHMARK(BM_TokenCognitParseVerifyAuthorize);

void BM_TokenCognitParseVerify(benchmark::State& state) {
    const CognitToken token;
    for (auto _ : state) {
        auto parsed = biscuit::Biscuit::from_base64(token.base64, token.root.public_key());
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK(BM_TokenCognitParseVerify);

}  // namespace

BENCHMARK_MAIN();
