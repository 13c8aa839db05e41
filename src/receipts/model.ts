/**
 * Receipts: signed, storable statements of what the hub decided or settled, verifiable offline
 * by anyone holding the hub's JWKS. Two wire profiles (docs/architecture.md, reference/peac.md):
 * `peac-0.9` (seed, typ `peac.receipt/0.9`, JCS payload) and `peac-wire-0.2` (upstream,
 * typ `interaction-record+jwt`). Receipts of one order form a chain through `prev`.
 * Replays: issuing is not idempotent by itself; callers issue inside the transaction of the
 * change a receipt proves, so a rolled-back change leaves no receipt.
 */

export type ReceiptProfile = "peac-0.9" | "peac-wire-0.2";
export const receiptProfiles: readonly ReceiptProfile[] = ["peac-0.9", "peac-wire-0.2"];

export const TYP_SEED = "peac.receipt/0.9";
export const TYP_WIRE02 = "interaction-record+jwt";

/** What a receipt proves, in the order a purchase produces them. */
export type ReceiptKind = "quote" | "payment" | "result" | "refund" | "decision" | "settlement";

/** What the caller asks to be receipted. Money is exact minor units plus asset decimals. */
export interface ReceiptRequest {
  kind: ReceiptKind;
  /** Who the receipt is about (principal id, agent, or resource URI). */
  subject: string;
  purpose?: string;
  /** sha256 of the terms agreed (JCS of the quote or policy). */
  terms_hash?: string;
  money?: { amount_minor: bigint; asset: string; decimals: number };
  /** The rail that moved the money (`x402`, `agx-ledger`, …). */
  payment_rail?: string;
  /** The order (or other chain key) this receipt belongs to; chains link receipts of one key. */
  chain_key?: string;
  order_id?: string;
  payment_id?: string;
  request_digest?: string;
  response_digest?: string;
  /** Seed profile only: seconds until the receipt expires. Wire 0.2 receipts never expire. */
  expires_in_s?: number;
  /** Free-form, bounded, stored and signed (decision details, policy digest …). */
  details?: Record<string, unknown>;
}

/** A receipt as stored. */
export interface StoredReceipt {
  id: string;
  profile: ReceiptProfile;
  kind: ReceiptKind;
  kid: string;
  jws: string;
  /** `sha256:<hex>` of the compact JWS (PEAC receipt_ref). */
  ref: string;
  chain_key: string | null;
  prev_id: string | null;
  order_id: string | null;
  payment_id: string | null;
  request_digest: string | null;
  response_digest: string | null;
  created_at_ms: number;
}

/** A key of the issuer key set. */
export type KeyState = "next" | "active" | "retired" | "revoked";

export interface IssuerKey {
  kid: string;
  state: KeyState;
  /** Public JWK (OKP / Ed25519) with kid, alg, use. */
  public_jwk: { kty: "OKP"; crv: "Ed25519"; x: string; kid: string; alg: "EdDSA"; use: "sig" };
  created_at_ms: number;
  activated_at_ms: number | null;
  /** Retired keys stay published until then. */
  retire_until_ms: number | null;
  revoked_at_ms: number | null;
  revoke_reason: string | null;
}

/** The outcome of verifying a receipt: codes, not exceptions. */
export type VerifyResult =
  | {
      valid: true;
      profile: ReceiptProfile;
      kid: string;
      header: Record<string, unknown>;
      payload: Record<string, unknown>;
    }
  | { valid: false; code: string; reason: string };
