// `ecf token ...`: keys and Biscuit tokens for operators and tests (keygen, mint, attenuate,
// inspect, authorize). Results go to stdout; `authorize` prints one JSON line and exits 0 when
// authorized, 1 when not, 2 on a usage error.
#include <biscuit/authorizer.hpp>
#include <biscuit/base64.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/crypto.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "cli/commands.hpp"

namespace ecf::cli {
namespace {

// Inputs larger than this are not tokens or Datalog an operator types: refuse them early.
constexpr std::size_t kMaxInput = 1024 * 1024;

// A usage error: bad arguments or unreadable files (exit status 2).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string read_bounded(std::istream& in, const std::string& what) {
    std::string out;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        out.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (out.size() > kMaxInput) throw UsageError(what + " is larger than 1 MiB");
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot read " + path);
    return read_bounded(in, path);
}

// DATALOG: the text itself, or @FILE.
std::string datalog_argument(const std::string& value) {
    return value.starts_with("@") ? read_file(value.substr(1)) : value;
}

bool looks_like_base64(std::string_view text) {
    for (char c : text) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                        c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ' ';
        if (!ok) return false;
    }
    return !text.empty();
}

// TOKEN: base64 text, `-` for stdin, or @FILE (raw bytes or base64).
std::vector<std::uint8_t> token_argument(const std::string& value) {
    std::string content;
    if (value == "-")
        content = read_bounded(std::cin, "standard input");
    else if (value.starts_with("@"))
        content = read_file(value.substr(1));
    else
        content = value;
    if (looks_like_base64(content)) return biscuit::base64_decode(content);
    return {content.begin(), content.end()};
}

biscuit::PublicKey public_key_argument(const std::string& value) {
    return biscuit::PublicKey::from_hex(value.starts_with("@") ? read_file(value.substr(1))
                                                               : value);
}

std::string error_detail(const biscuit::Error& e) {
    std::string detail = e.sub_kind();
    for (const auto& c : e.failed_checks()) {
        detail +=
            c.origin == biscuit::FailedCheck::Origin::Block
                ? "; block " + std::to_string(c.block_id) + " check " + std::to_string(c.check_id)
                : "; authorizer check " + std::to_string(c.check_id);
        detail += ": " + c.rule;
    }
    if (!e.detail().empty()) detail += ": " + e.detail();
    return detail;
}

// Runs one subcommand body, mapping failures to exit statuses.
template <typename Body>
void run(int& exit_status, Body&& body) {
    try {
        exit_status = body();
    } catch (const UsageError& e) {
        std::cerr << "ecf token: " << e.what() << "\n";
        exit_status = 2;
    } catch (const biscuit::Error& e) {
        std::cerr << "ecf token: " << e.what() << "\n";
        exit_status = 1;
    }
}

}  // namespace

void add_token_commands(CLI::App& app, int& exit_status) {
    // CLI11 fills these after this function returns; the callbacks share them.
    struct Arguments {
        std::string mint_key, mint_code, attenuate_code, attenuate_token, inspect_token,
            inspect_key, authorize_key, authorize_code, authorize_token;
    };
    auto args = std::make_shared<Arguments>();
    auto* token = app.add_subcommand("token", "Biscuit keys and tokens");
    token->require_subcommand(1);

    auto* keygen = token->add_subcommand("keygen", "Generate an Ed25519 root key pair (JSON)");
    keygen->callback([&exit_status] {
        run(exit_status, [] {
            auto pair = biscuit::KeyPair::generate();
            boost::json::object out{{"private_key", pair.private_key().to_hex()},
                                    {"public_key", pair.public_key().to_hex()}};
            std::cout << boost::json::serialize(out) << "\n";
            return 0;
        });
    });

    auto* mint = token->add_subcommand("mint", "Mint a token (base64) from an authority block");
    mint->add_option("--private-key", args->mint_key, "root private key: hex or @FILE")->required();
    mint->add_option("--code", args->mint_code, "authority block: Datalog text or @FILE")
        ->required();
    mint->callback([&exit_status, args] {
        run(exit_status, [args] {
            std::string key_text = args->mint_key.starts_with("@")
                                       ? read_file(args->mint_key.substr(1))
                                       : args->mint_key;
            biscuit::KeyPair root(biscuit::PrivateKey::from_hex(key_text));
            auto token = biscuit::Biscuit::mint(
                root, biscuit::BlockBuilder(datalog_argument(args->mint_code)));
            std::cout << token.to_base64() << "\n";
            return 0;
        });
    });

    auto* attenuate = token->add_subcommand("attenuate", "Append a block to a token");
    attenuate->add_option("--code", args->attenuate_code, "the block: Datalog text or @FILE")
        ->required();
    attenuate->add_option("TOKEN", args->attenuate_token, "base64, - for stdin, or @FILE")
        ->required();
    attenuate->callback([&exit_status, args] {
        run(exit_status, [args] {
            auto token =
                biscuit::Biscuit::unverified_from_bytes(token_argument(args->attenuate_token));
            auto attenuated =
                token.attenuate(biscuit::BlockBuilder(datalog_argument(args->attenuate_code)));
            std::cout << attenuated.to_base64() << "\n";
            return 0;
        });
    });

    auto* inspect = token->add_subcommand("inspect", "Print a token's blocks and revocation ids");
    inspect->add_option("--public-key", args->inspect_key,
                        "root public key to verify with (optional)");
    inspect->add_option("TOKEN", args->inspect_token, "base64, - for stdin, or @FILE")->required();
    inspect->callback([&exit_status, args] {
        run(exit_status, [args] {
            auto bytes = token_argument(args->inspect_token);
            auto token =
                args->inspect_key.empty()
                    ? biscuit::Biscuit::unverified_from_bytes(bytes)
                    : biscuit::Biscuit::from_bytes(bytes, public_key_argument(args->inspect_key));
            std::cout << "verified: " << (token.verified() ? "yes" : "no (no root key given)")
                      << "\nsealed: " << (token.sealed() ? "yes" : "no") << "\n";
            for (std::size_t i = 0; i < token.block_count(); ++i) {
                std::cout << "\nblock " << i << (i == 0 ? " (authority)" : "");
                if (const auto& key = token.blocks()[i].external_key)
                    std::cout << ", signed by " << key->to_string();
                std::cout << ":\n" << token.print_block(i);
            }
            std::cout << "\nrevocation ids:\n";
            for (const auto& id : token.revocation_ids()) std::cout << id << "\n";
            return 0;
        });
    });

    auto* authorize = token->add_subcommand("authorize", "Verify and authorize a token (JSON)");
    authorize
        ->add_option("--public-key", args->authorize_key,
                     "root public key: hex, ed25519/hex or @FILE")
        ->required();
    authorize->add_option("--authorizer", args->authorize_code, "authorizer: Datalog text or @FILE")
        ->required();
    authorize->add_option("TOKEN", args->authorize_token, "base64, - for stdin, or @FILE")
        ->required();
    authorize->callback([&exit_status, args] {
        try {
            const auto root = public_key_argument(args->authorize_key);
            const auto code = datalog_argument(args->authorize_code);
            const auto bytes = token_argument(args->authorize_token);
            boost::json::object out;
            try {
                biscuit::Authorizer authorizer;
                authorizer.add_token(biscuit::Biscuit::from_bytes(bytes, root));
                authorizer.add_code(code);
                out = {{"authorized", true}, {"policy", authorizer.authorize()}};
                exit_status = 0;
            } catch (const biscuit::Error& e) {
                out = {
                    {"authorized", false},
                    {"error", {{"kind", std::string(e.kind_name())}, {"detail", error_detail(e)}}}};
                exit_status = 1;
            }
            std::cout << boost::json::serialize(out) << "\n";
        } catch (const UsageError& e) {
            std::cerr << "ecf token authorize: " << e.what() << "\n";
            exit_status = 2;
        } catch (const biscuit::Error& e) {
            // The key or the token text could not be read at all.
            boost::json::object out{
                {"authorized", false},
                {"error", {{"kind", std::string(e.kind_name())}, {"detail", error_detail(e)}}}};
            std::cout << boost::json::serialize(out) << "\n";
            exit_status = 1;
        }
    });
}

}  // namespace ecf::cli
