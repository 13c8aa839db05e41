/**
 * Bounds of the x402 module, units in the names. Candidates for kernel/limits.ts; they live here
 * until the lead moves them, so this module owns no edits outside its folder.
 */
export const x402Limits = {
  /** Largest PAYMENT-SIGNATURE / X-PAYMENT header accepted (a payload is ~1 KiB). */
  payment_header_bytes_max: 16_384,
  /** How long a client's authorization may stay valid when the route sets nothing. */
  max_timeout_seconds_default: 60,
  /** A remote facilitator's verify and supported calls. */
  facilitator_verify_timeout_ms: 15_000,
  /** A remote facilitator's settle call; past it the outcome is unknown (settlement pending). */
  facilitator_settle_timeout_ms: 60_000,
  /** Largest answer read from a remote facilitator. */
  facilitator_response_bytes_max: 65_536,
  /** How long the in-process facilitator waits for a settlement receipt before `pending`. */
  settle_receipt_timeout_ms: 60_000,
  /** How often the in-process facilitator polls for a settlement's receipt. */
  receipt_poll_interval_ms: 200,
  /** One JSON-RPC call of the transfer-proof verifier. */
  rpc_timeout_ms: 10_000,
  /** Payment-identifier rows are kept this long (retries of one payment come within it). */
  payment_id_retention_ms: 24 * 60 * 60 * 1000,
  /** Largest result kept with a payment identifier for replays; larger ones replay without it. */
  payment_id_result_bytes_max: 65_536,
  /** Most confirmations a proof may demand (about an hour of Base blocks). */
  confirmations_max: 2_000,
} as const;
