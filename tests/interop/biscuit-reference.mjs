// The reference Biscuit implementation (biscuit-rust as WebAssembly, npm @biscuit-auth/biscuit-wasm)
// behind a JSON-lines protocol: one request object per line on stdin, one answer per line on
// stdout. The C++ side (biscuit_cpp_driver) speaks the same protocol, so a test can send both
// the same requests and compare the answers.
//
//   {"op": "keygen"[, "algorithm": "secp256r1"]}              -> {"private_key", "public_key"}
//   {"op": "mint", "private_key", "code"}                     -> {"token"} (base64)
//   {"op": "attenuate", "token", "code"}                      -> {"token"}
//   {"op": "seal", "token"}                                   -> {"token"}
//   {"op": "authorize", "public_key", "token", "authorizer"}  -> {"ok": true, "policy"} |
//                                                                {"ok": false, "error": {"kind", "sub_kind"}}
//   {"op": "inspect", "public_key", "token"}                  -> {"blocks": [datalog], "revocation_ids"}
//   {"op": "third_party_request", "token", "root_public_key"} -> {"request"}
//   {"op": "third_party_block", "request", "private_key", "code"} -> {"block"}
//   {"op": "append_third_party", "token", "root_public_key", "external_public_key", "block"} -> {"token"}
// Any failure of another op answers {"error": {"kind", "sub_kind"}}.
//
// Run: node --experimental-wasm-modules biscuit-reference.mjs
import { createInterface } from "node:readline";

// The module logs a banner on load; keep stdout for answers only.
const log = console.log;
console.log = (...args) => console.error(...args);
const B = await import("@biscuit-auth/biscuit-wasm");

// Keys travel as bare hex (Ed25519) or `secp256r1/<hex>` and `secp256r1-private/<hex>`.
const hex = (s) => s.replace(/^(ed25519|secp256r1)(-private)?\//, "");
const algorithmOf = (s) =>
  s.startsWith("secp256r1") ? B.SignatureAlgorithm.Secp256r1 : B.SignatureAlgorithm.Ed25519;
const publicKey = (text) => B.PublicKey.fromString(hex(text), algorithmOf(text));
const privateKey = (text) => B.PrivateKey.fromBytes(Buffer.from(hex(text), "hex"), algorithmOf(text));
const limits = { max_facts: 1000, max_iterations: 100, max_time_micro: 1000000 };

// The reference throws plain objects such as {"FailedLogic": {"Unauthorized": {...}}}.
function describe(e) {
  if (e && typeof e === "object" && !(e instanceof Error)) {
    const kind = Object.keys(e)[0];
    if (kind === undefined) return { kind: "Language", sub_kind: "ParseError" };
    const body = e[kind];
    let sub = typeof body === "string" ? body : body && typeof body === "object" ? Object.keys(body)[0] : "";
    if (kind === "Format" && sub === "Signature" && typeof body.Signature === "object")
      sub += "/" + Object.keys(body.Signature)[0];
    const out = { kind, sub_kind: sub ?? "" };
    if (kind === "FailedLogic" && body[sub] && Array.isArray(body[sub].checks))
      out.checks = body[sub].checks;
    return out;
  }
  return { kind: "Other", sub_kind: String(e) };
}

function authorizeOnce(req) {
  try {
    const token = B.Biscuit.fromBase64(req.token, publicKey(req.public_key));
    const builder = new B.AuthorizerBuilder();
    builder.addCode(req.authorizer);
    const authorizer = builder.buildAuthenticated(token);
    return { ok: true, policy: authorizer.authorizeWithLimits(limits) };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

function handle(req) {
  switch (req.op) {
    case "keygen": {
      if (req.algorithm === "secp256r1") {
        const kp = new B.KeyPair(B.SignatureAlgorithm.Secp256r1);
        return { private_key: kp.getPrivateKey().toString(), public_key: kp.getPublicKey().toString() };
      }
      const kp = new B.KeyPair(B.SignatureAlgorithm.Ed25519);
      return {
        private_key: hex(kp.getPrivateKey().toString()),
        public_key: hex(kp.getPublicKey().toString()),
      };
    }
    case "mint": {
      const builder = new B.BiscuitBuilder();
      builder.addCode(req.code);
      return { token: builder.build(privateKey(req.private_key)).toBase64() };
    }
    case "attenuate": {
      // Appending needs no root key; parse with a provider that accepts whatever key is asked.
      const token = B.Biscuit.fromBase64WithProvider(req.token, () => publicKey(req.root_public_key));
      const block = new B.BlockBuilder();
      block.addCode(req.code);
      return { token: token.appendBlock(block).toBase64() };
    }
    case "seal": {
      const token = B.Biscuit.fromBase64(req.token, publicKey(req.root_public_key));
      return { token: token.sealToken().toBase64() };
    }
    case "authorize": {
      // The WebAssembly engine is compiled lazily: a first run of a code path can exceed the
      // time limit the reference applies (1 ms, whatever limits are given), so a timeout is
      // retried (a bounded number of times: a loaded machine can lose a few slices) before it
      // counts.
      let answer;
      for (let attempt = 0; attempt < 8; attempt++) {
        answer = authorizeOnce(req);
        if (answer.ok || answer.error.kind !== "RunLimit" || answer.error.sub_kind !== "Timeout") break;
      }
      return answer;
    }
    case "third_party_request": {
      const token = B.Biscuit.fromBase64(req.token, publicKey(req.root_public_key));
      return { request: token.getThirdPartyRequest().toBase64() };
    }
    case "third_party_block": {
      const block = new B.BlockBuilder();
      block.addCode(req.code);
      const request = B.ThirdPartyRequest.fromBase64(req.request);
      return { block: request.createBlock(privateKey(req.private_key), block).toBase64() };
    }
    case "append_third_party": {
      const token = B.Biscuit.fromBase64(req.token, publicKey(req.root_public_key));
      const block = B.ThirdPartyBlock.fromBase64(req.block);
      return { token: token.appendThirdPartyBlock(publicKey(req.external_public_key), block).toBase64() };
    }
    case "inspect": {
      const token = B.Biscuit.fromBase64(req.token, publicKey(req.public_key));
      const blocks = [];
      for (let i = 0; i < token.countBlocks(); i++) blocks.push(token.getBlockSource(i));
      return { blocks, revocation_ids: token.getRevocationIdentifiers() };
    }
    default:
      return { error: { kind: "Usage", sub_kind: `unknown op ${req.op}` } };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = handle(JSON.parse(line));
  } catch (e) {
    answer = { error: describe(e) };
  }
  log(JSON.stringify(answer));
}
