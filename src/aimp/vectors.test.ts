import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  canonicalAnnounce,
  canonicalManifest,
  canonicalReceiptV1,
  canonicalReceiptV2,
  generateAimpKeyPair,
  manifestDigest,
  parsePyJson,
  privateKeyFromSeed,
  receiptV2FieldsDigest,
  signAnnounce,
  signManifest,
  signReceiptV1,
  signReceiptV2,
  verifyAnnounce,
  verifyManifest,
  verifyReceipt,
  verifyReceiptV1,
  verifyReceiptV2,
} from "./index.ts";

/** Published in upstream test-vectors/README.md, test-only. */
const UPSTREAM_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
/** Its secret: the RFC 8032 §7.1 TEST 1 seed, public by design. */
const UPSTREAM_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

function vectorText(name: string): string {
  return readFileSync(new URL(`./vectors/${name}.json.txt`, import.meta.url), "utf8");
}
// biome-ignore lint/suspicious/noExplicitAny: vectors are mutated freely by the tamper tests
type Doc = Record<string, any>;
const vector = (name: string): Doc => JSON.parse(vectorText(name));
const pyVector = (name: string): Doc => parsePyJson(vectorText(name)) as Doc;

const kinds = [
  { file: "receipt-signed", verify: verifyReceiptV1 },
  { file: "receipt-v2-signed", verify: verifyReceiptV2 },
  { file: "manifest-signed", verify: verifyManifest },
  { file: "federation-announce-signed", verify: verifyAnnounce },
] as const;

describe("upstream AIMP test vectors", () => {
  it.each(kinds)(
    "verifies $file with the upstream test key, parsed or as text",
    ({ file, verify }) => {
      expect(verify(vector(file), UPSTREAM_KEY)).toMatchObject({ valid: true });
      expect(verify(pyVector(file), UPSTREAM_KEY)).toMatchObject({ valid: true });
      expect(verify(vectorText(file), UPSTREAM_KEY)).toMatchObject({ valid: true });
    },
  );

  it.each(kinds)("refuses $file under any other key", ({ file, verify }) => {
    const other = generateAimpKeyPair();
    const doc = vector(file);
    // Manifests and announces name their signer, so another key is caught before the check.
    const named = doc.signature.public_key !== undefined || doc.signer_public_key !== undefined;
    const reason = named ? "signer_key_mismatch" : "bad_signature";
    expect(verify(doc, other.publicKey)).toMatchObject({ valid: false, reason });
    delete doc.signature.public_key;
    delete doc.signer_public_key;
    expect(verify(doc, other.public_key_b64)).toMatchObject({ reason: "bad_signature" });
  });

  it("reads the receipt signature version from the block: v1 carries no version, v2 says 2", () => {
    expect(verifyReceipt(vector("receipt-signed"), UPSTREAM_KEY)).toEqual({
      valid: true,
      version: 1,
      unsigned_fields: [],
    });
    expect(verifyReceipt(vector("receipt-v2-signed"), UPSTREAM_KEY)).toEqual({
      valid: true,
      version: 2,
      unsigned_fields: [],
    });
  });

  it("rebuilds the v1 receipt canonical byte for byte, success as 1", () => {
    expect(canonicalReceiptV1(vector("receipt-signed") as never)).toBe(
      "nonce:rcpt_test001|product_id:prod-001|capability_id:translate.multi@v2|price_usd:0.4" +
        "|timestamp:2026-08-28T09:00:50Z|success:1|latency_ms:8100",
    );
  });

  it("rebuilds the v2 receipt canonical with price_usd:0.0 from text read by parsePyJson", () => {
    expect(canonicalReceiptV2(pyVector("receipt-v2-signed") as never)).toBe(
      "nonce:rcpt_test002|product_id:prod-001|capability_id:translate.multi@v2|price_usd:0.0" +
        "|timestamp:2026-08-28T09:00:50Z|success:0|latency_ms:0|v:2" +
        "|fields:62e8135ac924809d58b3b8d8e8e0ff9b3bdaaabca378881003524c36408a61aa",
    );
  });

  it("writes the int spelling price_usd:0 for a JSON.parse'd 0.0, yet still verifies it", () => {
    const receipt = vector("receipt-v2-signed");
    expect(canonicalReceiptV2(receipt as never)).toContain("|price_usd:0|");
    expect(verifyReceiptV2(receipt, UPSTREAM_KEY)).toMatchObject({ valid: true });
  });

  it("digests the nine v2 fields with compact separators, absent ones as null", () => {
    expect(receiptV2FieldsDigest(vector("receipt-v2-signed"))).toBe(
      "62e8135ac924809d58b3b8d8e8e0ff9b3bdaaabca378881003524c36408a61aa",
    );
  });

  it("rebuilds the manifest canonical with its tools and by_hub digests", () => {
    expect(canonicalManifest(vector("manifest-signed"))).toBe(
      "capabilities_count:5|generated_at:2026-08-28T09:00:50Z|protocol_version:v1" +
        "|tools_hash:7fbf86cde4c3a1d265ce4d893a5626584b2a34cedbf3630c4f2a8d6d9a468fcb" +
        "|by_hub_hash:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  });

  it("hashes an absent by_hub exactly as the empty object", () => {
    expect(manifestDigest({})).toBe(
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
    const withEmpty = { ...vector("manifest-signed"), by_hub: {} };
    expect(verifyManifest(withEmpty, UPSTREAM_KEY)).toEqual({ valid: true });
  });

  it("rebuilds the federation announce canonical byte for byte", () => {
    expect(canonicalAnnounce(vector("federation-announce-signed") as never)).toBe(
      "hub_url:https://test-hub.example.com" +
        "|well_known_url:https://test-hub.example.com/.well-known/ai-market.json" +
        "|capabilities_count:5",
    );
  });

  it("reproduces every published signature when re-signing with the upstream seed", () => {
    const key = privateKeyFromSeed(Buffer.from(UPSTREAM_SEED, "hex"));
    const sameSignature = (signed: Doc, file: string, read = vector) =>
      expect(signed.signature).toEqual(read(file).signature);
    sameSignature(signReceiptV1(vector("receipt-signed") as never, key), "receipt-signed");
    // Ed25519 is deterministic, so only the 0.0 spelling kept by parsePyJson gives the same bytes.
    sameSignature(
      signReceiptV2(pyVector("receipt-v2-signed") as never, key),
      "receipt-v2-signed",
      pyVector,
    );
    sameSignature(signManifest(vector("manifest-signed") as never, key), "manifest-signed");
    const announce = signAnnounce(vector("federation-announce-signed") as never, key);
    sameSignature(announce, "federation-announce-signed");
    expect(announce).toEqual(vector("federation-announce-signed"));
  });
});

type Tamper = [field: string, change: (doc: Doc) => void];

const receiptTampers: Tamper[] = [
  ["nonce", (d) => (d.nonce = "rcpt_test999")],
  ["product_id", (d) => (d.product_id = "prod-002")],
  ["capability_id", (d) => (d.capability_id = "translate.multi@v3")],
  ["price_usd", (d) => (d.price_usd = 0.04)],
  ["timestamp", (d) => (d.timestamp = "2026-08-28T09:00:51Z")],
  ["success", (d) => (d.success = !d.success)],
  ["latency_ms", (d) => (d.latency_ms = 1)],
];

const evidenceTampers: Tamper[] = [
  ["type", (d) => (d.type = "invocation")],
  ["channel_id", (d) => (d.channel_id = "ch_test999")],
  ["category", (d) => (d.category = "quality")],
  ["plugin", (d) => (d.plugin = "verifier")],
  ["reason", (d) => (d.reason = "provider_timeout")],
  ["verify_score", (d) => (d.verify_score = 0.91)],
  ["delivery_reasons", (d) => d.delivery_reasons.push("claim_supported")],
  ["trace_id", (d) => (d.trace_id = "tr_test999")],
  ["refunded", (d) => (d.refunded = false)],
  ["delivery_reasons (deleted)", (d) => delete d.delivery_reasons],
];

const manifestTampers: Tamper[] = [
  ["capabilities_count", (d) => (d.capabilities_count = 6)],
  ["generated_at", (d) => (d.generated_at = "2026-08-29T09:00:50Z")],
  ["protocol_version", (d) => (d.protocol_version = "v2")],
  ["tools (a price)", (d) => (d.tools[0].price_per_call_usd = 0.01)],
  ["tools (a schema)", (d) => (d.tools[0].input_schema.required = [])],
  ["by_hub", (d) => (d.by_hub = { "https://evil.example": { trust_score: 1 } })],
];

const announceTampers: Tamper[] = [
  ["hub_url", (d) => (d.hub_url = "https://evil.example")],
  ["well_known_url", (d) => (d.well_known_url = "https://evil.example/.well-known/ai-market.json")],
  ["capabilities_count", (d) => (d.capabilities_count = 500)],
];

describe("a changed canonical field breaks the vector's signature", () => {
  function expectBroken(file: string, verify: (d: unknown, k: string) => unknown, t: Tamper) {
    const doc = vector(file);
    t[1](doc);
    expect(verify(doc, UPSTREAM_KEY)).toMatchObject({ valid: false, reason: "bad_signature" });
  }

  it.each(receiptTampers)("v1 receipt: %s", (...t) =>
    expectBroken("receipt-signed", verifyReceiptV1, t),
  );
  it.each([...receiptTampers, ...evidenceTampers])("v2 receipt: %s", (...t) =>
    expectBroken("receipt-v2-signed", verifyReceiptV2, t),
  );
  it.each(manifestTampers)("manifest: %s", (...t) =>
    expectBroken("manifest-signed", verifyManifest, t),
  );
  it.each(announceTampers)("announce: %s", (...t) =>
    expectBroken("federation-announce-signed", verifyAnnounce, t),
  );

  it("leaves the announce's hub_name outside the signature, as the spec defines", () => {
    const doc = { ...vector("federation-announce-signed"), hub_name: "Renamed Hub" };
    expect(verifyAnnounce(doc, UPSTREAM_KEY)).toEqual({ valid: true });
  });

  it("refuses a v2 receipt downgraded to v1 by dropping the signature version", () => {
    const doc = vector("receipt-v2-signed");
    delete doc.signature.version;
    expect(verifyReceipt(doc, UPSTREAM_KEY)).toMatchObject({ reason: "bad_signature" });
    expect(verifyReceiptV2(doc, UPSTREAM_KEY)).toMatchObject({ reason: "version_mismatch" });
  });
});
