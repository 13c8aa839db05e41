import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AimpKeyError,
  PyJsonError,
  parsePyJson,
  parseWellKnown,
  publicKeyFromBase64,
  RECEIPT_V2_FIELDS,
  verifyReceipt as verifyAimpReceipt,
  verifyAnnounce,
  verifyManifest,
} from "../../src/aimp/index.ts";
import { createDpop } from "../../src/dpop/index.ts";
import { NONCE_SECRET, signProof, testKey } from "../../src/dpop/testing.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { isProblem } from "../../src/kernel/problem.ts";
import { parsePeacTxt, parsePeacTxtBytes, peacTxtTemplate } from "../../src/policy/index.ts";
import { decodePaymentHeader, encodePaymentHeader } from "../../src/x402/codec.ts";
import {
  applyEdits,
  compactArb,
  editsArb,
  fuzzRuns,
  fuzzSeed,
} from "../../stress/support/fuzz-mutate.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

const SEED = fuzzSeed(20_261_112);
const RUNS = fuzzRuns(1_500);
const params = { seed: SEED, numRuns: RUNS };

/** Parsers of hostile text: each must answer, or throw only its own typed error. */
describe(`parsers under fuzzing (FUZZ_SEED=${SEED}, ${RUNS} runs each)`, () => {
  beforeAll(() => {
    process.stdout.write(`fuzz-parsers: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}\n`);
  });

  const policies = [peacTxtTemplate("peac-policy/0.1"), peacTxtTemplate("seed-0.9.14")];

  it("parses any peac.txt text or bytes into a result, never an exception", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 400 }),
      fc.tuple(fc.constantFrom(...policies), editsArb).map(([p, e]) => applyEdits(p, e)),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.constantFrom("version: 0.9.14\n", "---\n&a [*a]\n", "a: !!js/function 'x'\n"),
      fc.nat(40).map((n) => `${"- ".repeat(n * 50)}x`),
    );
    fc.assert(
      fc.property(text, (t) => {
        const r = parsePeacTxt(t);
        expect(typeof r.ok).toBe("boolean");
      }),
      params,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(typeof parsePeacTxtBytes(bytes).ok).toBe("boolean");
      }),
      params,
    );
  });

  it("reads any x402 payment header into a payload or a defect, never an exception", () => {
    const valid = encodePaymentHeader(x402Payload() as never);
    expect(decodePaymentHeader(valid, 2).ok).toBe(true);
    const header = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.base64String({ maxLength: 400 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v)).toString("base64")),
      editsArb.map((e) => applyEdits(valid, e)),
    );
    fc.assert(
      fc.property(header, fc.constantFrom(1 as const, 2 as const), (value, version) => {
        const r = decodePaymentHeader(value, version);
        if (r.ok) expect(r.payload.x402Version).toBe(version);
        else expect(["invalid_payment_header", "payment_header_too_large"]).toContain(r.defect);
      }),
      params,
    );
  });

  it("verifies AIMP documents: garbage and tampered vectors are invalid, never exceptions", () => {
    const key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const v1 = ["nonce", "product_id", "capability_id", "price_usd", "timestamp", "success"];
    const verifiers = [
      ["manifest-signed", verifyManifest, MANIFEST_SIGNED],
      ["federation-announce-signed", verifyAnnounce, ["hub_url", "well_known_url"]],
      ["receipt-signed", verifyAimpReceipt, v1],
      ["receipt-v2-signed", verifyAimpReceipt, [...v1, ...RECEIPT_V2_FIELDS]],
    ] as const;
    for (const [name, verify, signed] of verifiers) {
      const text = aimpVector(name);
      expect(verify(text, key).valid, name).toBe(true);
      fc.assert(
        fc.property(editsArb, (edits) => {
          const tampered = applyEdits(text, edits);
          const r = verify(tampered, key);
          // A still-valid document must say the same in every field the signature covers.
          if (r.valid) expect(sameSignedJson(tampered, text, signed)).toBe(true);
        }),
        params,
      );
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), (doc) => {
          expect(verify(doc, key).valid).toBe(false);
        }),
        params,
      );
    }
  });

  it("throws only PyJsonError from the AIMP JSON reader and AimpKeyError from key decoding", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom("1e999", "-0", "NaN", "[".repeat(5000), '{"a":1,"a":2}', "1.0e+400"),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          parsePyJson(t);
        } catch (error) {
          expect(error).toBeInstanceOf(PyJsonError);
        }
      }),
      params,
    );
    fc.assert(
      fc.property(fc.oneof(fc.base64String({ maxLength: 60 }), fc.string()), (k) => {
        try {
          publicKeyFromBase64(k);
        } catch (error) {
          expect(error).toBeInstanceOf(AimpKeyError);
        }
      }),
      params,
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (doc) => {
        expect(typeof parseWellKnown(doc)).toBe("object");
      }),
      params,
    );
  });
});

describe("token verifiers under fuzzing", () => {
  const clock = manualClock(Date.UTC(2026, 10, 12));
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ clock });
  });
  afterAll(() => t.close());

  it("verifies PEAC receipts: garbage and tampered receipts are refused with a code", async () => {
    const { ctx } = t.hub;
    const issued = await ctx.receipts.issue(ctx.db.kysely, {
      kind: "payment",
      subject: "prn_fuzz",
      purpose: "inference",
      order_id: newId("ord"),
      payment_id: newId("pay"),
      money: { amount_minor: 1_500_000n, asset: "USDC", decimals: 6 },
      payment_rail: "agx-ledger",
    });
    expect((await ctx.receipts.verify(ctx.db.kysely, issued.jws)).valid).toBe(true);
    const input = fc.oneof(
      compactArb,
      editsArb.map((e) => applyEdits(issued.jws, e)),
    );
    await fc.assert(
      fc.asyncProperty(input, async (jws) => {
        const r = await ctx.receipts.verify(ctx.db.kysely, jws);
        if (!r.valid) expect(r.code).toMatch(/^RECEIPT_[A-Z_]+$/);
        else expect(sameCompact(jws, issued.jws)).toBe(true);
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("refuses garbage and tampered DPoP proofs with DPOP_* problems only", async () => {
    const dpop = createDpop({ clock, nonce_secret: NONCE_SECRET });
    const key = await testKey("ES256");
    const url = "https://hub.example/api/v1/me";
    const claims = () => ({
      jti: newId("jti"),
      htm: "GET",
      htu: url,
      iat: Math.floor(clock.now_ms() / 1000),
    });
    const proofs = await Promise.all(Array.from({ length: 8 }, () => signProof(key, claims())));
    const input = fc.oneof(
      compactArb,
      fc.tuple(fc.constantFrom(...proofs), editsArb).map(([p, e]) => applyEdits(p, e)),
      fc.array(fc.constantFrom(...proofs), { minLength: 2, maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(input, async (proof) => {
        try {
          await dpop.verifyProof(t.hub.ctx.db.kysely, {
            proof,
            method: "GET",
            url,
            accessToken: undefined as never,
            expectedJkt: key.jkt,
          });
        } catch (error) {
          expect(isProblem(error), String(error)).toBe(true);
          expect((error as { code: string }).code).toMatch(/^DPOP_[A-Z_]+$/);
        }
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

function aimpVector(name: string): string {
  return readFileSync(new URL(`../../src/aimp/vectors/${name}.json.txt`, import.meta.url), "utf8");
}

/**
 * The fields AIMP signs in a manifest (§7.3.2). Everything else in a signed AIMP document
 * (base_url, products_count, the signature block, unknown names) is unsigned by the protocol;
 * agx reads none of it from peers (federation uses the announced URL, not `base_url`).
 */
const MANIFEST_SIGNED = [
  "capabilities_count",
  "generated_at",
  "protocol_version",
  "tools",
  "by_hub",
];

/** A tampered document that still verifies must carry the same value in every signed field. */
function sameSignedJson(a: string, b: string, signed: readonly string[]): boolean {
  try {
    const x = JSON.parse(a) as Record<string, unknown>;
    const y = JSON.parse(b) as Record<string, unknown>;
    return signed.every((k) => JSON.stringify(x[k]) === JSON.stringify(y[k]) || defaulted(x, y, k));
  } catch {
    return false;
  }
}

/** A field one side omits and the other carries at the protocol's default. */
function defaulted(x: Record<string, unknown>, y: Record<string, unknown>, k: string): boolean {
  const defaults: Record<string, unknown> = {
    protocol_version: "v1",
    by_hub: {},
    latency_ms: 0,
    success: false,
    capabilities_count: 0,
    ...Object.fromEntries(RECEIPT_V2_FIELDS.map((f) => [f, null])),
  };
  const [present, absent] = k in x ? [x, y] : [y, x];
  return !(k in absent) && JSON.stringify(present[k]) === JSON.stringify(defaults[k]);
}

/** Two compact JWS with the same decoded bytes in every part. */
function sameCompact(a: string, b: string): boolean {
  const pa = a.split(".");
  const pb = b.split(".");
  return (
    pa.length === pb.length &&
    pa.every((p, i) => Buffer.from(p, "base64url").equals(Buffer.from(pb[i] ?? "", "base64url")))
  );
}

function x402Payload() {
  return {
    x402Version: 2,
    resource: { url: "https://hub.example/capabilities/x/y@v1/invoke", description: "y" },
    accepted: {
      scheme: "exact",
      network: "eip155:8453",
      asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
      amount: "1500",
      payTo: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      maxTimeoutSeconds: 60,
      extra: { name: "USD Coin", version: "2" },
    },
    payload: {
      signature: `0x${"11".repeat(65)}`,
      authorization: {
        from: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        to: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        value: "1500",
        validAfter: "0",
        validBefore: "1900000000",
        nonce: `0x${"22".repeat(32)}`,
      },
    },
  };
}
