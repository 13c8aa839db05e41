import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";

/** The receipt types agx signs: PEAC seed 0.9 and PEAC wire 0.2. */
const RECEIPT_TYPES = new Set([
  "peac.receipt/0.9",
  "interaction-record+jwt",
  "application/interaction-record+jwt",
]);

/** The same bounds the hub verifies with. */
export const receiptCheckLimits = { jws_bytes_max: 262_144, future_skew_s: 300, exp_leeway_s: 60 };

/** The outcome of an offline check: codes, not exceptions. */
export type ReceiptCheck =
  | {
      valid: true;
      kid: string;
      typ: string;
      header: Record<string, unknown>;
      payload: Record<string, unknown>;
    }
  | { valid: false; code: string; reason: string };

export interface ReceiptCheckOptions {
  /** Unix seconds to judge iat/exp against; now by default. */
  now_s?: number;
  /** When set, a seed receipt must name this issuer. */
  issuer?: string;
}

const fail = (code: string, reason: string): ReceiptCheck => ({ valid: false, code, reason });

function claimsProblem(payload: Record<string, unknown>, now_s: number, issuer?: string) {
  const iat = payload.iat;
  if (typeof iat === "number" && iat > now_s + receiptCheckLimits.future_skew_s) {
    return fail("RECEIPT_NOT_YET_VALID", `iat ${iat}`);
  }
  const exp = payload.exp;
  if (typeof exp === "number" && exp + receiptCheckLimits.exp_leeway_s < now_s) {
    return fail("RECEIPT_EXPIRED", `expired at ${exp}`);
  }
  if (issuer !== undefined && "issuer" in payload && payload.issuer !== issuer) {
    return fail("RECEIPT_ISSUER_MISMATCH", `issuer ${String(payload.issuer)}`);
  }
  return null;
}

/**
 * Verifies a PEAC receipt (compact JWS, EdDSA) offline against a JWKS: the key by kid, the
 * signature, the receipt type, and iat/exp. Never throws on bad input.
 */
export async function verifyReceiptJws(
  jws: string,
  jwks: JSONWebKeySet,
  options: ReceiptCheckOptions = {},
): Promise<ReceiptCheck> {
  if (new TextEncoder().encode(jws).byteLength > receiptCheckLimits.jws_bytes_max) {
    return fail("RECEIPT_TOO_LARGE", `larger than ${receiptCheckLimits.jws_bytes_max} bytes`);
  }
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws.trim(), createLocalJWKSet(jwks), {
      algorithms: ["EdDSA", "Ed25519"],
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (code === "ERR_JWKS_NO_MATCHING_KEY") return fail("RECEIPT_KID_UNKNOWN", "no such key");
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
      return fail("RECEIPT_SIGNATURE_INVALID", "signature does not verify");
    }
    return fail("RECEIPT_MALFORMED", error instanceof Error ? error.message : String(error));
  }
  const header = verified.protectedHeader as Record<string, unknown>;
  const typ = String(header.typ ?? "").toLowerCase();
  if (!RECEIPT_TYPES.has(typ)) return fail("RECEIPT_TYP_INVALID", `typ ${typ}`);
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    return fail("RECEIPT_MALFORMED", "payload is not JSON");
  }
  const now_s = options.now_s ?? Math.floor(Date.now() / 1000);
  const problem = claimsProblem(payload, now_s, options.issuer);
  if (problem) return problem;
  return { valid: true, kid: String(header.kid ?? ""), typ, header, payload };
}

/** Where a large receipt lives when the hub sent `PEAC-Receipt-Pointer` instead of the JWS. */
export function parseReceiptPointer(value: string): { sha256: string; url: string } | null {
  const sha256 = /sha256="([0-9a-f]{64})"/.exec(value)?.[1];
  const url = /url="([^"]+)"/.exec(value)?.[1];
  return sha256 && url ? { sha256, url } : null;
}
