// The C++ Biscuit library behind the JSON-lines protocol of biscuit-reference.mjs, so the
// interoperability tests can send both implementations the same requests.
#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <iostream>
#include <string>

namespace {

namespace json = boost::json;

std::string str(const json::object& req, const char* key) {
    return std::string(req.at(key).as_string());
}

json::object describe(const biscuit::Error& e) {
    json::object out{{"kind", std::string(e.kind_name())}, {"sub_kind", e.sub_kind()}};
    if (e.kind() == biscuit::ErrorKind::FailedLogic &&
        (e.sub_kind() == "Unauthorized" || e.sub_kind() == "NoMatchingPolicy")) {
        json::array checks;
        for (const auto& c : e.failed_checks()) {
            json::object inner{{"check_id", c.check_id}, {"rule", c.rule}};
            if (c.origin == biscuit::FailedCheck::Origin::Block) {
                inner["block_id"] = c.block_id;
                checks.push_back(json::object{{"Block", std::move(inner)}});
            } else {
                checks.push_back(json::object{{"Authorizer", std::move(inner)}});
            }
        }
        out["checks"] = std::move(checks);
    }
    return out;
}

json::object handle(const json::object& req) {
    const std::string op = str(req, "op");
    if (op == "keygen") {
        if (req.contains("algorithm") && req.at("algorithm") == "secp256r1") {
            auto pair = biscuit::KeyPair::generate(biscuit::Algorithm::Secp256r1);
            return {{"private_key", "secp256r1-private/" + pair.private_key().to_hex()},
                    {"public_key", pair.public_key().to_string()}};
        }
        auto pair = biscuit::KeyPair::generate();
        return {{"private_key", pair.private_key().to_hex()},
                {"public_key", pair.public_key().to_hex()}};
    }
    if (op == "mint") {
        biscuit::KeyPair root(biscuit::PrivateKey::from_hex(str(req, "private_key")));
        return {
            {"token",
             biscuit::Biscuit::mint(root, biscuit::BlockBuilder(str(req, "code"))).to_base64()}};
    }
    if (op == "attenuate") {
        auto token = biscuit::Biscuit::unverified_from_base64(str(req, "token"));
        return {{"token", token.attenuate(biscuit::BlockBuilder(str(req, "code"))).to_base64()}};
    }
    if (op == "seal") {
        auto token = biscuit::Biscuit::from_base64(
            str(req, "token"), biscuit::PublicKey::from_hex(str(req, "root_public_key")));
        return {{"token", token.seal().to_base64()}};
    }
    if (op == "authorize") {
        try {
            auto token = biscuit::Biscuit::from_base64(
                str(req, "token"), biscuit::PublicKey::from_hex(str(req, "public_key")));
            biscuit::Authorizer authorizer;
            authorizer.add_token(token);
            authorizer.add_code(str(req, "authorizer"));
            authorizer.set_limits({1000, 100, std::chrono::microseconds(1000000)});
            return {{"ok", true}, {"policy", authorizer.authorize()}};
        } catch (const biscuit::Error& e) {
            return {{"ok", false}, {"error", describe(e)}};
        }
    }
    if (op == "third_party_request") {
        auto token = biscuit::Biscuit::from_base64(
            str(req, "token"), biscuit::PublicKey::from_hex(str(req, "root_public_key")));
        return {{"request", token.third_party_request()}};
    }
    if (op == "third_party_block") {
        biscuit::KeyPair external(biscuit::PrivateKey::from_hex(str(req, "private_key")));
        return {
            {"block", biscuit::Biscuit::create_third_party_block(
                          str(req, "request"), external, biscuit::BlockBuilder(str(req, "code")))}};
    }
    if (op == "append_third_party") {
        auto token = biscuit::Biscuit::from_base64(
            str(req, "token"), biscuit::PublicKey::from_hex(str(req, "root_public_key")));
        auto appended = token.append_third_party(
            biscuit::PublicKey::from_hex(str(req, "external_public_key")), str(req, "block"));
        return {{"token", appended.to_base64()}};
    }
    if (op == "inspect") {
        auto token = biscuit::Biscuit::from_base64(
            str(req, "token"), biscuit::PublicKey::from_hex(str(req, "public_key")));
        json::array blocks, ids;
        for (std::size_t i = 0; i < token.block_count(); ++i)
            blocks.push_back(json::string(token.print_block(i)));
        for (const auto& id : token.revocation_ids()) ids.push_back(json::string(id));
        return {{"blocks", blocks}, {"revocation_ids", ids}};
    }
    return {{"error", {{"kind", "Usage"}, {"sub_kind", "unknown op " + op}}}};
}

}  // namespace

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        json::object answer;
        try {
            answer = handle(json::parse(line).as_object());
        } catch (const biscuit::Error& e) {
            answer = {{"error", describe(e)}};
        } catch (const std::exception& e) {
            answer = {{"error", {{"kind", "Usage"}, {"sub_kind", e.what()}}}};
        }
        std::cout << json::serialize(answer) << std::endl;
    }
}
