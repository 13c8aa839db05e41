import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../kernel/assert.ts";
import {
  type AimpAnnounce,
  AimpKeyError,
  type AimpManifest,
  type AimpReceipt,
  type AimpReceiptV2,
  generateAimpKeyPair,
  PyFloat,
  publicKeyFromBase64,
  publicKeyToBase64,
  pyJsonDumps,
  signAnnounce,
  signManifest,
  signReceiptV1,
  signReceiptV2,
  unsignedReceiptFields,
  verifyAnnounce,
  verifyManifest,
  verifyReceipt,
  verifyReceiptV1,
  verifyReceiptV2,
} from "./index.ts";

const receipt: AimpReceipt = {
  nonce: "rcpt_01J9Z",
  product_id: "prod-ü",
  capability_id: "summarise@v1",
  price_usd: 1.25,
  timestamp: "2026-09-01T12:00:00Z",
  success: true,
  latency_ms: 420,
};

const rejection: AimpReceiptV2 = {
  ...receipt,
  price_usd: 0,
  success: false,
  latency_ms: 0,
  type: "rejection",
  channel_id: "ch_1",
  reason: "verification_below_threshold",
  verify_score: 0.2,
  refunded: true,
  trace_id: "tr_1",
  delivery_reasons: ["claim_unsupported", "ünïcode"],
};

const manifest: AimpManifest = {
  protocol_version: "v2",
  generated_at: "2026-09-01T12:00:00Z",
  capabilities_count: 1,
  tools: [
    {
      name: "prod-1.summarise@v1",
      description: "Résumé en français",
      input_schema: { type: "object", properties: { text: { type: "string" } } },
      price_per_call_usd: 1,
      success_rate_30d: 0.99,
    },
  ],
  by_hub: { "https://peer.example": { capabilities_count: 3, trust_score: 0.75 } },
};

const announce: AimpAnnounce = {
  hub_url: "https://agx.example",
  well_known_url: "https://agx.example/.well-known/ai-market.json",
  capabilities_count: 12,
  hub_name: "agx",
};

describe("sign then verify with a fresh key", () => {
  const keys = generateAimpKeyPair();

  it("round-trips a v1 receipt, signature in the vector's shape", () => {
    const signed = signReceiptV1(receipt, keys.privateKey);
    expect(Object.keys(signed.signature)).toEqual(["algorithm", "value"]);
    expect(verifyReceiptV1(signed, keys.public_key_b64)).toEqual({
      valid: true,
      version: 1,
      unsigned_fields: [],
    });
  });

  it("round-trips a v2 receipt with version 2 in its signature block", () => {
    const signed = signReceiptV2(rejection, keys.privateKey);
    expect(signed.signature).toMatchObject({ algorithm: "ed25519", version: 2 });
    expect(verifyReceiptV2(signed, keys.publicKey)).toMatchObject({ valid: true, version: 2 });
  });

  it("round-trips a manifest, naming the signer key in the signature block", () => {
    const signed = signManifest(manifest, keys.privateKey);
    expect(signed.signature.public_key).toBe(keys.public_key_b64);
    expect(verifyManifest(signed, keys.public_key_b64)).toEqual({ valid: true });
  });

  it("round-trips an announce, setting signer_public_key from the signing key", () => {
    const signed = signAnnounce(announce, keys.privateKey);
    expect(signed.signer_public_key).toBe(keys.public_key_b64);
    expect(verifyAnnounce(signed, keys.publicKey)).toEqual({ valid: true });
  });

  it("survives a trip through JSON text, the way the documents travel", () => {
    const wire = <T>(doc: T): unknown => JSON.parse(JSON.stringify(doc));
    const key = keys.public_key_b64;
    expect(verifyReceipt(wire(signReceiptV1(receipt, keys.privateKey)), key).valid).toBe(true);
    expect(verifyReceipt(wire(signReceiptV2(rejection, keys.privateKey)), key).valid).toBe(true);
    expect(verifyManifest(wire(signManifest(manifest, keys.privateKey)), key).valid).toBe(true);
    expect(verifyAnnounce(wire(signAnnounce(announce, keys.privateKey)), key).valid).toBe(true);
  });

  it("signs an integral JS price with the int spelling a Python peer reads back", () => {
    const priced = signReceiptV1({ ...receipt, price_usd: 2 }, keys.privateKey);
    const asFloat = { ...priced, price_usd: new PyFloat(2) };
    expect(verifyReceipt(priced, keys.publicKey).valid).toBe(true);
    // A PyFloat states the float spelling outright, so only "2.0" is tried for it.
    expect(verifyReceipt(asFloat, keys.publicKey)).toMatchObject({ reason: "bad_signature" });
  });

  it("replaces an existing signature block rather than signing over it", () => {
    const once = signReceiptV1(receipt, keys.privateKey);
    const twice = signReceiptV1(once, keys.privateKey);
    expect(twice.signature).toEqual(once.signature);
  });
});

describe("documents written by a Python hub", () => {
  it("verifies manifest text that spells a trust score 1.0, which JSON.parse loses", () => {
    const keys = generateAimpKeyPair();
    const peer = { "https://peer.example": { trust_score: new PyFloat(1) } };
    const signed = signManifest({ ...manifest, by_hub: peer }, keys.privateKey);
    // pyJsonDumps writes the text a Python hub would serve for this document.
    const text = pyJsonDumps(signed, "python_default");
    expect(text).toContain('"trust_score": 1.0');
    expect(verifyManifest(text, keys.publicKey)).toEqual({ valid: true });
    const lossy = JSON.parse(text);
    expect(verifyManifest(lossy, keys.publicKey)).toMatchObject({ reason: "bad_signature" });
  });
});

describe("receipt versions and unsigned evidence", () => {
  const keys = generateAimpKeyPair();

  it("refuses to sign evidence fields at v1, where they would go unsigned", () => {
    const withEvidence = { ...receipt, reason: "late" } as AimpReceipt;
    expect(() => signReceiptV1(withEvidence, keys.privateKey)).toThrow(AssertionError);
  });

  it("reports evidence bolted onto a v1 receipt as unsigned while the signature holds", () => {
    const signed = signReceiptV1(receipt, keys.privateKey);
    const tampered = { ...signed, reason: "refund_me", refunded: true };
    expect(verifyReceipt(tampered, keys.publicKey)).toEqual({
      valid: true,
      version: 1,
      unsigned_fields: ["reason", "refunded"],
    });
    expect(unsignedReceiptFields(tampered)).toEqual(["reason", "refunded"]);
  });

  it("binds an absent evidence field and an explicit null alike", () => {
    const signed = signReceiptV2(rejection, keys.privateKey);
    expect(verifyReceiptV2({ ...signed, plugin: null }, keys.publicKey).valid).toBe(true);
  });

  it("refuses a v1-signed receipt where v2 is required", () => {
    const signed = signReceiptV1(receipt, keys.privateKey);
    expect(verifyReceiptV2(signed, keys.publicKey)).toMatchObject({ reason: "version_mismatch" });
  });

  it("calls an unknown signature version unsupported rather than forged", () => {
    const signed = signReceiptV2(rejection, keys.privateKey);
    const future = { ...signed, signature: { ...signed.signature, version: 3 } };
    expect(verifyReceipt(future, keys.publicKey)).toMatchObject({ reason: "unsupported_version" });
  });
});

describe("signing refuses what it could not verify back", () => {
  const keys = generateAimpKeyPair();

  it("refuses a canonical value holding the pair separator", () => {
    const ambiguous = { ...receipt, nonce: "rcpt_1|product_id:x" };
    expect(() => signReceiptV1(ambiguous, keys.privateKey)).toThrow(AssertionError);
  });

  it("refuses a non-integer latency and an unrenderable tool value", () => {
    expect(() => signReceiptV1({ ...receipt, latency_ms: 1.5 }, keys.privateKey)).toThrow();
    const badTool = { ...manifest, tools: [{ ...manifest.tools[0], when: new Date(0) }] };
    expect(() => signManifest(badTool as never, keys.privateKey)).toThrow();
  });

  it("refuses a signer_public_key that is not the signing key's", () => {
    const other = generateAimpKeyPair().public_key_b64;
    const claimed = { ...announce, signer_public_key: other };
    expect(() => signAnnounce(claimed, keys.privateKey)).toThrow(AssertionError);
  });
});

describe("verification never throws on bad input", () => {
  const keys = generateAimpKeyPair();
  const good = signReceiptV1(receipt, keys.privateKey);
  const cases: Array<[string, unknown, string]> = [
    ["null", null, "not_an_object"],
    ["an array", [good], "not_an_object"],
    ["text that is not JSON", "receipt", "malformed_json"],
    ["JSON text of an array", "[]", "not_an_object"],
    ["no signature", { ...good, signature: undefined }, "missing_signature"],
    ["a flat signature string", { ...good, signature: good.signature.value }, "missing_signature"],
    [
      "another algorithm",
      { ...good, signature: { ...good.signature, algorithm: "rsa" } },
      "unsupported_algorithm",
    ],
    [
      "a short signature",
      { ...good, signature: { ...good.signature, value: "AAAA" } },
      "malformed_signature",
    ],
    [
      "unpadded base64",
      { ...good, signature: { ...good.signature, value: good.signature.value.replace(/=+$/, "") } },
      "malformed_signature",
    ],
    ["a numeric nonce", { ...good, nonce: 7 }, "malformed_field"],
    ["a missing timestamp", { ...good, timestamp: undefined }, "malformed_field"],
    ["a string price", { ...good, price_usd: "1.25" }, "malformed_field"],
    ["a NaN price", { ...good, price_usd: Number.NaN }, "unrenderable_value"],
    ["a string success", { ...good, success: "true" }, "malformed_field"],
  ];

  it.each(cases)("answers %s with a reason", (_name, input, reason) => {
    expect(verifyReceipt(input, keys.publicKey)).toMatchObject({ valid: false, reason });
  });

  it("answers an unusable verifier key with invalid_public_key", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    for (const key of ["not base64!", "", rsa, keys.privateKey]) {
      expect(verifyReceipt(good, key)).toMatchObject({ reason: "invalid_public_key" });
    }
  });
});

describe("raw base64 public keys", () => {
  it("converts a raw base64 key to a KeyObject and back unchanged", () => {
    const { publicKey, public_key_b64 } = generateAimpKeyPair();
    expect(publicKeyToBase64(publicKeyFromBase64(public_key_b64))).toBe(public_key_b64);
    expect(publicKeyToBase64(publicKey)).toBe(public_key_b64);
  });

  it("refuses small-order and non-canonical keys, with which forgeries verify", () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const nonCanonical = Buffer.alloc(32, 0xff);
    nonCanonical[31] = 0x7f;
    for (const raw of [identity, Buffer.alloc(32), nonCanonical]) {
      expect(() => publicKeyFromBase64(raw.toString("base64"))).toThrow(AimpKeyError);
    }
  });

  it("refuses keys of the wrong length or encoding", () => {
    const { public_key_b64 } = generateAimpKeyPair();
    for (const bad of [public_key_b64.slice(0, -1), `${public_key_b64}AA`, "%%%"]) {
      expect(() => publicKeyFromBase64(bad)).toThrow(AimpKeyError);
    }
    const spki = createPublicKey(generateAimpKeyPair().privateKey).export({
      format: "der",
      type: "spki",
    });
    expect(() => publicKeyFromBase64(spki.toString("base64"))).toThrow(AimpKeyError);
  });
});
