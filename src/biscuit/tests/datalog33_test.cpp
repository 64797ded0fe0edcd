// Datalog 3.3 on the wire and at the facade: the block version written when minting, blocks that
// use a feature newer than the version they declare, closures that shadow a variable, map keys
// of the wrong type, nesting beyond the bound, and the round trip of every 3.3 form through a
// signed token. Bad input is refused with a precise error, never accepted.
#include <gtest/gtest.h>

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/parser.hpp>
#include <biscuit/datalog/printer.hpp>
#include <string>

#include "format/block_codec.hpp"

namespace {

namespace schema = biscuit::format::schema;
namespace bd = biscuit::datalog;

schema::Block encode(const std::string& source) {
    biscuit::format::SymbolTable symbols;
    biscuit::format::PublicKeyTable keys;
    schema::Block block;
    biscuit::format::encode_block(bd::parse_block(source), "", symbols, keys, block);
    return block;
}

bd::BlockCode decode(const schema::Block& block) {
    biscuit::format::SymbolTable symbols;
    for (const auto& s : block.symbols()) symbols.intern(s);
    biscuit::format::PublicKeyTable keys;
    return biscuit::format::decode_block(block, symbols, keys, false);
}

std::string decode_error(const schema::Block& block) {
    try {
        (void)decode(block);
    } catch (const biscuit::Error& e) {
        return std::string(e.kind_name()) + "/" + e.sub_kind();
    }
    return "accepted";
}

TEST(Datalog33, MintingWritesTheVersionTheFeaturesNeed) {
    EXPECT_EQ(encode("a(1); check if a($x), $x === 1;").version(), 3u);
    EXPECT_EQ(encode("check if a($x), $x !== 1;").version(), 4u);
    for (const char* v6 : {"a(null);", "check if a($x), $x == 1;", "check if true && false;",
                           "check if [1].any($x -> $x > 0);", "check if 1.type() === \"integer\";",
                           "reject if a(1);", "a([1, 2]);", "a({\"k\": 1});",
                           "check if [1].get(0) === 1;", "check if (1 / 0).try_or(true);"}) {
        SCOPED_TRACE(v6);
        EXPECT_EQ(encode(v6).version(), 6u);
    }
}

TEST(Datalog33, FeaturesNewerThanTheDeclaredVersionAreRefused) {
    for (const char* v6 :
         {"a(null);", "check if a($x), $x == 1;", "check if true && false;",
          "check if true || false;", "check if [1].any($x -> $x > 0);",
          "check if {1}.all($x -> $x > 0);", "check if 1.type() === \"integer\";",
          "check if a($x), $x != 1;", "check if (1 / 0).try_or(true);", "a({null});"}) {
        for (std::uint32_t declared : {3u, 4u, 5u}) {
            SCOPED_TRACE(std::string(v6) + " declared " + std::to_string(declared));
            schema::Block block = encode(v6);
            block.set_version(declared);
            EXPECT_EQ(decode_error(block), "Format/DeserializationError");
        }
    }
    // Datalog 3.1 features in a version 3 block.
    for (const char* v4 :
         {"check if a($x), $x !== 1;", "check all a($x);", "check if a($x), $x | 1 === 1;"}) {
        SCOPED_TRACE(v4);
        schema::Block block = encode(v4);
        block.set_version(3);
        EXPECT_EQ(decode_error(block), "Format/DeserializationError");
    }
    // Arrays, maps and get() are written by the reference in blocks of any version: accepted.
    schema::Block arrays = encode("a([1, {\"k\": 2}]); check if [1].get(0) === 1;");
    arrays.set_version(3);
    EXPECT_EQ(decode_error(arrays), "accepted");
    schema::Block too_new = encode("a(1);");
    too_new.set_version(7);
    EXPECT_EQ(decode_error(too_new), "Format/Version");
}

TEST(Datalog33, MapKeysAreIntegersOrStrings) {
    // On the wire: a map entry whose key holds neither.
    schema::Block block = encode("a({1: 2});");
    auto* entry = block.mutable_facts_v2(0)
                      ->mutable_predicate()
                      ->mutable_terms(0)
                      ->mutable_map()
                      ->mutable_entries(0);
    entry->mutable_key()->clear_Content();
    EXPECT_EQ(decode_error(block), "Format/DeserializationError");
    // In text.
    for (const char* bad : {"a({true: 1});", "a({[1]: 1});", "a({null: 1});", "a({{1}: 1});"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(bd::parse_block(bad), biscuit::Error);
    }
    // At run time: get() with another key type is a type error, a missing key null.
    auto run = [](const std::string& check) {
        auto root = biscuit::KeyPair::generate();
        auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder(check));
        biscuit::Authorizer a;
        a.add_token(token);
        a.add_code("allow if true;");
        try {
            a.authorize();
            return std::string("ok");
        } catch (const biscuit::Error& e) {
            return e.sub_kind();
        }
    };
    EXPECT_EQ(run("check if {1: 2}.get(true) == null;"), "InvalidType");
    EXPECT_EQ(run("check if {1: 2}.get(3) == null;"), "ok");
    EXPECT_EQ(run("check if {\"a\": 2}.get(\"a\") === 2;"), "ok");
}

TEST(Datalog33, ClosuresMayNotShadowAVariable) {
    auto root = biscuit::KeyPair::generate();
    auto outcome = [&](const std::string& authorizer_code) {
        auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder("v(1);"));
        biscuit::Authorizer a;
        a.add_token(token);
        a.add_code(authorizer_code);
        try {
            a.authorize();
            return std::string("ok");
        } catch (const biscuit::Error& e) {
            return std::string(e.kind_name()) + "/" + e.sub_kind();
        }
    };
    // A body variable, an enclosing parameter: refused.
    EXPECT_EQ(outcome("allow if v($x), [1].any($x -> $x > 0);"), "Execution/ShadowedVariable");
    EXPECT_EQ(outcome("allow if [true].any($p -> [true].all($p -> $p));"),
              "Execution/ShadowedVariable");
    // Sibling closures may reuse a name; nested ones use their own.
    EXPECT_EQ(outcome("allow if [1].any($p -> $p > 0) && [2].all($p -> $p > 1);"), "ok");
    EXPECT_EQ(outcome("allow if v($x), [1].any($p -> [2].all($q -> $p + $q > $x));"), "ok");
    // Maps are visited as [key, value] pairs.
    EXPECT_EQ(outcome("allow if {\"a\": 1, \"b\": 2}.all($kv -> $kv.get(1) > 0);"), "ok");
    EXPECT_EQ(outcome("allow if {\"a\": 1}.any($kv -> $kv.get(0) == \"b\");"),
              "FailedLogic/NoMatchingPolicy");
}

TEST(Datalog33, NestingIsBounded) {
    auto nested = [](int depth) {
        std::string t = "1";
        for (int i = 0; i < depth; ++i) t = "[" + t + "]";
        return "a(" + t + ");";
    };
    // 31 arrays around an integer: 32 levels, the bound, minted and read back.
    auto root = biscuit::KeyPair::generate();
    auto ok = biscuit::Biscuit::mint(root, biscuit::BlockBuilder(nested(31)));
    EXPECT_NO_THROW(biscuit::Biscuit::from_bytes(ok.to_bytes(), root.public_key()));
    // One more is refused when minting...
    try {
        (void)biscuit::Biscuit::mint(root, biscuit::BlockBuilder(nested(32)));
        FAIL() << "minted";
    } catch (const biscuit::Error& e) {
        EXPECT_EQ(e.kind(), biscuit::ErrorKind::Format);
        EXPECT_EQ(e.sub_kind(), "SerializationError");
    }
    // ... and when reading a block built by hand.
    schema::Block block = encode(nested(31));
    schema::TermV2* inner = block.mutable_facts_v2(0)->mutable_predicate()->mutable_terms(0);
    for (int i = 0; i < 31; ++i) inner = inner->mutable_array()->mutable_array(0);
    inner->mutable_array()->add_array()->set_integer(1);
    EXPECT_EQ(decode_error(block), "Format/DeserializationError");
    // Closures inside closures count too.
    std::string closures = "true";
    for (int i = 0; i < 40; ++i) closures = "true && (" + closures + ")";
    EXPECT_THROW(biscuit::Biscuit::mint(root, biscuit::BlockBuilder("check if " + closures + ";")),
                 biscuit::Error);
}

TEST(Datalog33, EveryFormSurvivesASignedTokenAndItsPrintedText) {
    const std::string source =
        "a(null, [1, \"x\", [true]], {\"k\": {1: hex:aa}}, {1, 2}, {,}, {});\n"
        "check if a($n, $arr, $m, $s, $e, $em), $n == null, $arr.get(2).get(0), "
        "$m.get(\"k\").get(1) === hex:aa, $s.contains(2), $e.length() === 0, "
        "$em.length() === 0, $arr.starts_with([1]), $arr.ends_with([[true]]), "
        "$arr.any($x -> $x == \"x\"), $m.all($kv -> $kv.get(0) == \"k\"), "
        "$arr.type() == \"array\", $m.get(\"z\").get(1).try_or(7) === 7;\n"
        "reject if a($n, $arr, $m, $s, $e, $em), $arr.length() > 3 || $s.length() > 2;\n";
    auto root = biscuit::KeyPair::generate();
    auto token = biscuit::Biscuit::mint(root, biscuit::BlockBuilder(source));
    auto parsed = biscuit::Biscuit::from_bytes(token.to_bytes(), root.public_key());
    EXPECT_EQ(parsed.print_block(0), bd::to_string(bd::parse_block(source)));
    EXPECT_EQ(bd::to_string(bd::parse_block(parsed.print_block(0))), parsed.print_block(0));
    biscuit::Authorizer authorizer;
    authorizer.add_token(parsed);
    authorizer.add_code("allow if true;");
    EXPECT_EQ(authorizer.authorize(), 0u);
}

}  // namespace
