import type { KeyObject } from "node:crypto";
import { hasCanonicalScalar, isStrongPublicKey } from "./ed25519.ts";
import { verifyEdDsaParts } from "./jws.ts";
import { TYP_SEED, TYP_WIRE02, type VerifyResult } from "./model.ts";

/** Bounds of verification, in one place (see kernel limits for the hub-wide ones). */
export const verifyLimits = {
  jws_bytes_max: 262_144,
  future_skew_s: 300,
  exp_leeway_s: 60,
};

const FORBIDDEN_HEADER = ["jwk", "x5c", "x5u", "jku", "crit", "zip", "b64"];
const WIRE02_CLAIMS = new Set([
  "peac_version",
  "kind",
  "type",
  "iss",
  "iat",
  "jti",
  "sub",
  "pillars",
  "actor",
  "policy",
  "representation",
  "occurred_at",
  "purpose_declared",
  "extensions",
]);

/** What a verifier knows about a kid: its public key, or that it was revoked. */
export type KeyLookup = (
  kid: string,
) => Promise<{ key: KeyObject; raw: Uint8Array; revoked: boolean } | null>;

export interface VerifyOptions {
  resolveKey: KeyLookup;
  now_s: number;
  /** When set, the receipt must name this issuer. */
  issuer?: string;
}

const fail = (code: string, reason: string): VerifyResult => ({ valid: false, code, reason });

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function profileOf(typ: unknown): "peac-0.9" | "peac-wire-0.2" | null {
  if (typeof typ !== "string") return null;
  const t = typ.toLowerCase();
  if (t === TYP_SEED) return "peac-0.9";
  if (t === TYP_WIRE02 || t === `application/${TYP_WIRE02}`) return "peac-wire-0.2";
  return null;
}

/**
 * Verifies a receipt of either profile: shape, header rules, key (known, not revoked, not small
 * order), canonical signature, then the profile's claim rules. Never throws on bad input.
 */
export async function verifyReceipt(jws: string, options: VerifyOptions): Promise<VerifyResult> {
  if (Buffer.byteLength(jws) > verifyLimits.jws_bytes_max) {
    return fail("RECEIPT_TOO_LARGE", `larger than ${verifyLimits.jws_bytes_max} bytes`);
  }
  const parts = jws.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    return fail("RECEIPT_MALFORMED", "not three base64url parts");
  }
  const [h = "", p = "", s = ""] = parts;
  const header = decodeJson(h);
  const payload = decodeJson(p);
  if (!header || !payload)
    return fail("RECEIPT_MALFORMED", "header or payload is not a JSON object");
  if (header.alg !== "EdDSA") return fail("RECEIPT_ALG_NOT_ALLOWED", `alg ${String(header.alg)}`);
  const profile = profileOf(header.typ);
  if (!profile) return fail("RECEIPT_TYP_INVALID", `typ ${String(header.typ)}`);
  const banned = FORBIDDEN_HEADER.find((name) => name in header);
  if (banned) return fail("RECEIPT_HEADER_INVALID", `header parameter ${banned} is not allowed`);
  const kid = header.kid;
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 256) {
    return fail("RECEIPT_HEADER_INVALID", "kid is missing or longer than 256");
  }
  const known = await options.resolveKey(kid);
  if (!known) return fail("RECEIPT_KID_UNKNOWN", `no key ${kid}`);
  if (known.revoked) return fail("RECEIPT_KEY_REVOKED", `key ${kid} was revoked`);
  if (!strongKey(known.raw)) return fail("RECEIPT_KEY_WEAK", "small-order public key");
  const signature = Buffer.from(s, "base64url");
  if (!hasCanonicalScalar(signature)) {
    return fail("RECEIPT_SIGNATURE_INVALID", "signature is not canonical (S >= L) or not 64 bytes");
  }
  if (!verifyEdDsaParts(h, p, signature, known.key)) {
    return fail("RECEIPT_SIGNATURE_INVALID", "signature does not verify");
  }
  const claims =
    profile === "peac-0.9" ? checkSeed(payload, kid, options) : checkWire02(payload, options);
  if (claims) return claims;
  return { valid: true, profile, kid, header, payload };
}

// Point decompression is the costly part of the small-order check; issuer keys are few.
const strongKeys = new Map<string, boolean>();
function strongKey(raw: Uint8Array): boolean {
  const id = Buffer.from(raw).toString("base64url");
  let known = strongKeys.get(id);
  if (known === undefined) {
    known = isStrongPublicKey(raw);
    if (strongKeys.size >= 1024) strongKeys.clear();
    strongKeys.set(id, known);
  }
  return known;
}

function checkTimes(iat: unknown, now_s: number): VerifyResult | null {
  if (typeof iat !== "number" || !Number.isSafeInteger(iat)) {
    return fail("RECEIPT_CLAIMS_INVALID", "iat must be integer Unix seconds");
  }
  if (iat > now_s + verifyLimits.future_skew_s) return fail("RECEIPT_NOT_YET_VALID", `iat ${iat}`);
  return null;
}

function checkSeed(payload: Record<string, unknown>, kid: string, o: VerifyOptions) {
  if ("issued_at" in payload) return fail("RECEIPT_CLAIMS_INVALID", "legacy issued_at present");
  if (payload.kid !== undefined && payload.kid !== kid) {
    return fail("RECEIPT_KID_MISMATCH", `header kid ${kid}, payload kid ${String(payload.kid)}`);
  }
  const times = checkTimes(payload.iat, o.now_s);
  if (times) return times;
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== "number") return fail("RECEIPT_CLAIMS_INVALID", "exp not a number");
    if (payload.exp + verifyLimits.exp_leeway_s < o.now_s) {
      return fail("RECEIPT_EXPIRED", `expired at ${payload.exp}`);
    }
  }
  const payment = payload.payment as { scheme?: unknown } | undefined;
  if (payment !== undefined && payment?.scheme !== "x402") {
    return fail("RECEIPT_CLAIMS_INVALID", "payment.scheme must be x402");
  }
  if (o.issuer !== undefined && payload.issuer !== o.issuer) {
    return fail("RECEIPT_ISSUER_MISMATCH", `issuer ${String(payload.issuer)}`);
  }
  return null;
}

function checkWire02(payload: Record<string, unknown>, o: VerifyOptions) {
  const unknown = Object.keys(payload).find((k) => !WIRE02_CLAIMS.has(k));
  if (unknown) return fail("RECEIPT_CLAIMS_INVALID", `unknown claim ${unknown}`);
  if (payload.peac_version !== "0.2") return fail("RECEIPT_CLAIMS_INVALID", "peac_version");
  for (const name of ["kind", "type", "iss", "jti"]) {
    if (typeof payload[name] !== "string" || payload[name] === "") {
      return fail("RECEIPT_CLAIMS_INVALID", `${name} is required`);
    }
  }
  const times = checkTimes(payload.iat, o.now_s);
  if (times) return times;
  if (o.issuer !== undefined && payload.iss !== o.issuer) {
    return fail("RECEIPT_ISSUER_MISMATCH", `iss ${String(payload.iss)}`);
  }
  return null;
}
