import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by receipts and their verification. */
export const receiptProblems = defineProblems({
  RECEIPT_NOT_FOUND: { status: 404, title: "The receipt does not exist" },
  RECEIPT_MALFORMED: { status: 400, title: "The receipt is not a well-formed compact JWS" },
  RECEIPT_TOO_LARGE: { status: 413, title: "The receipt is larger than verifiers accept" },
  RECEIPT_ALG_NOT_ALLOWED: { status: 422, title: "The receipt's signature algorithm is not EdDSA" },
  RECEIPT_TYP_INVALID: { status: 422, title: "The receipt's typ names no known profile" },
  RECEIPT_HEADER_INVALID: { status: 422, title: "The receipt's protected header is not allowed" },
  RECEIPT_KID_UNKNOWN: { status: 422, title: "The receipt was signed with an unknown key" },
  RECEIPT_KID_MISMATCH: { status: 422, title: "The header and payload name different keys" },
  RECEIPT_KEY_REVOKED: { status: 422, title: "The receipt's signing key was revoked" },
  RECEIPT_KEY_WEAK: { status: 422, title: "The signing key is a small-order Ed25519 point" },
  RECEIPT_SIGNATURE_INVALID: { status: 422, title: "The receipt's signature does not verify" },
  RECEIPT_CLAIMS_INVALID: { status: 422, title: "The receipt's claims break its profile" },
  RECEIPT_EXPIRED: { status: 422, title: "The receipt has expired" },
  RECEIPT_NOT_YET_VALID: { status: 422, title: "The receipt is issued in the future" },
  RECEIPT_ISSUER_MISMATCH: { status: 422, title: "The receipt names another issuer" },
  RECEIPT_CHAIN_BROKEN: { status: 422, title: "The receipt does not link to its predecessor" },
  RECEIPT_KEYSET_UNAVAILABLE: { status: 503, title: "The issuer key set is not available" },
});
