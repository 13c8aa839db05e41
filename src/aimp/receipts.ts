/**
 * Invocation receipts (spec §7.3.3–7.3.4): v1 signs seven fields; v2 adds a digest of the nine
 * evidence fields a rejection is argued from. The signed version is read from the receipt's
 * own signature block (`version: 2`, absent = v1), never inferred from its content: a
 * tamperer who bolts v2 fields onto a v1 receipt must not turn a valid receipt into a forgery,
 * and the bolted-on fields are reported as unsigned instead.
 */
import type { KeyObject } from "node:crypto";
import { assert } from "../kernel/assert.ts";
import { canonicalReceiptV1, canonicalReceiptV2 } from "./canonical.ts";
import { signCanonical, verifyCanonical } from "./keys.ts";
import {
  type AimpReceipt,
  type AimpReceiptCanonicalFields,
  type AimpReceiptEvidence,
  type AimpReceiptV2,
  type AimpReceiptVerifyResult,
  RECEIPT_V2_FIELDS,
  type ReceiptV2Field,
  type Signed,
} from "./model.ts";
import { PyFloat } from "./pyjson.ts";
import {
  assertNoSeparator,
  guarded,
  own,
  Refusal,
  readBoolean,
  readForSigning,
  readInteger,
  readNumber,
  readSignatureBlock,
  readString,
  requireKey,
  requireObject,
  withoutSignature,
} from "./verify.ts";

/** Signs a receipt without evidence fields at v1; a receipt with any must use v2. */
export function signReceiptV1<T extends AimpReceipt>(receipt: T, privateKey: KeyObject): Signed<T> {
  const body = withoutSignature(receipt);
  const evidence = presentV2Fields(body as Record<string, unknown>);
  assert(evidence.length === 0, `a receipt carrying ${evidence.join(", ")} must be signed at v2`);
  const fields = readSignableReceipt(body);
  const value = signCanonical(canonicalReceiptV1(fields), privateKey);
  return { ...body, signature: { algorithm: "ed25519", value } } as Signed<T>;
}

/** Signs a receipt at v2, binding its evidence fields (absent ones as null). */
export function signReceiptV2<T extends AimpReceiptV2>(
  receipt: T,
  privateKey: KeyObject,
): Signed<T> {
  const body = withoutSignature(receipt);
  const fields = readSignableReceipt(body);
  const evidence = evidenceOf(body as Record<string, unknown>);
  const value = signCanonical(canonicalReceiptV2({ ...fields, ...evidence }), privateKey);
  return { ...body, signature: { algorithm: "ed25519", value, version: 2 } } as Signed<T>;
}

/** Verifies a receipt, parsed or as JSON text, at the version its signature block names. */
export function verifyReceipt(
  signed: unknown,
  publicKey: KeyObject | string,
): AimpReceiptVerifyResult {
  return verifyReceiptAt(signed, publicKey, null);
}

/** Verifies a receipt that must be signed at v1; its v2 fields come back as unsigned. */
export function verifyReceiptV1(
  signed: unknown,
  publicKey: KeyObject | string,
): AimpReceiptVerifyResult {
  return verifyReceiptAt(signed, publicKey, 1);
}

/** Verifies a receipt that must be signed at v2; a downgrade to v1 is a version_mismatch. */
export function verifyReceiptV2(
  signed: unknown,
  publicKey: KeyObject | string,
): AimpReceiptVerifyResult {
  return verifyReceiptAt(signed, publicKey, 2);
}

/** The v2 fields a parsed receipt carries that its own signature does not cover (§7.3.4). */
export function unsignedReceiptFields(receipt: unknown): ReceiptV2Field[] {
  if (typeof receipt !== "object" || receipt === null) return [];
  const doc = receipt as Record<string, unknown>;
  const block = own(doc, "signature");
  const version =
    typeof block === "object" && block !== null
      ? own(block as Record<string, unknown>, "version")
      : 1;
  return version === 2 ? [] : presentV2Fields(doc);
}

function verifyReceiptAt(
  signed: unknown,
  key: KeyObject | string,
  pinned: 1 | 2 | null,
): AimpReceiptVerifyResult {
  return guarded(() => {
    const doc = requireObject(signed);
    const block = readSignatureBlock(doc);
    if (pinned !== null && block.version !== pinned) {
      throw new Refusal("version_mismatch", `signed at v${block.version}, expected v${pinned}`);
    }
    const publicKey = requireKey(key, [block.public_key]);
    const canonicals = receiptCanonicals(doc, readReceiptFields(doc), block.version);
    if (!canonicals.some((c) => verifyCanonical(c, block.signature, publicKey))) {
      throw new Refusal("bad_signature", "the signature does not match the receipt");
    }
    return { valid: true, version: block.version, unsigned_fields: unsignedReceiptFields(doc) };
  });
}

/**
 * Every canonical the signer may have meant. JSON.parse turns a Python `0.0` into 0, so for an
 * integral price (and v2 verify_score) both the int and the float spelling are tried, as the
 * reference hub does; both denote the same value, so nothing unsigned gets through. Text read
 * with parsePyJson keeps its spelling and yields a single canonical.
 */
function receiptCanonicals(
  doc: Record<string, unknown>,
  fields: AimpReceiptCanonicalFields,
  version: 1 | 2,
): string[] {
  const prices = spellings(fields.price_usd);
  if (version === 1) return prices.map((price_usd) => canonicalReceiptV1({ ...fields, price_usd }));
  const evidence = evidenceOf(doc);
  return prices.flatMap((price_usd) =>
    spellings(evidence.verify_score ?? null).map((verify_score) =>
      canonicalReceiptV2({ ...fields, price_usd, ...evidence, verify_score }),
    ),
  );
}

function spellings<T>(value: T): (T | PyFloat)[] {
  if (typeof value === "number" && Number.isInteger(value)) return [value, new PyFloat(value)];
  return [value];
}

function readReceiptFields(doc: Record<string, unknown>): AimpReceiptCanonicalFields {
  return {
    // nonce and timestamp are what make a receipt non-replayable: both required (§7.3.3).
    nonce: readString(doc, "nonce"),
    product_id: readString(doc, "product_id"),
    capability_id: readString(doc, "capability_id"),
    price_usd: readNumber(doc, "price_usd"),
    timestamp: readString(doc, "timestamp"),
    success: readBoolean(doc, "success", false),
    latency_ms: readInteger(doc, "latency_ms", 0),
  };
}

function readSignableReceipt(body: object): AimpReceiptCanonicalFields {
  const fields = readForSigning(() => readReceiptFields(body as Record<string, unknown>));
  const { nonce, product_id, capability_id, timestamp } = fields;
  assertNoSeparator({ nonce, product_id, capability_id, timestamp });
  return fields;
}

/**
 * The evidence fields as signed: each present value as it is, an absent one as null. Values
 * are not type-checked: whatever was signed is what gets hashed, and a value with no Python
 * rendering fails as unrenderable_value.
 */
function evidenceOf(doc: Record<string, unknown>): AimpReceiptEvidence {
  const evidence: Record<string, unknown> = {};
  for (const name of RECEIPT_V2_FIELDS) evidence[name] = own(doc, name) ?? null;
  return evidence as AimpReceiptEvidence;
}

function presentV2Fields(doc: Record<string, unknown>): ReceiptV2Field[] {
  return RECEIPT_V2_FIELDS.filter((name) => own(doc, name) !== undefined);
}
