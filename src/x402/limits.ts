/**
 * Bounds of the x402 module, units in the names. Candidates for kernel/limits.ts; they live here
 * until the lead moves them, so this module owns no edits outside its folder.
 */
export const x402Limits = {
  /** Largest PAYMENT-SIGNATURE / X-PAYMENT header accepted (a payload is ~1 KiB). */
  payment_header_bytes_max: 16_384,
  /** How long a client's authorization may stay valid when the route sets nothing. */
  max_timeout_seconds_default: 60,
  /** 402 challenges a gate keeps built (per route, price, description and reason). */
  challenges_cached_max: 1_024,
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
  /**
   * A settlement's receipt missed by the ask right after sending is asked again this long after,
   * then after twice as long, until the steps reach the poll interval (anvil and sequencers mine
   * within milliseconds; waiting a whole interval cost a busy hub a fifth of a second a call).
   */
  receipt_first_follow_up_ms: 2,
  /**
   * How long a payer's `eth_getCode` answer is reused (EOA or contract decides ECDSA vs
   * ERC-1271 off chain; the token re-judges the signature on chain in simulation and settlement,
   * so a stale answer can only refuse a payment). Verify and settle of one payment ask 4 times.
   */
  code_cache_ttl_ms: 30_000,
  /** Addresses whose code is remembered at most. */
  code_cache_entries_max: 10_000,
  /** How long fee quotes (base fee, tip) are reused; the fee cap is twice the base fee. */
  fee_cache_ttl_ms: 2_000,
  /**
   * Gas limit of a settlement over its estimate, in percent (the state may move a little
   * between estimate and inclusion; unused gas is not charged).
   */
  settle_gas_margin_percent: 25,
  /**
   * How long a settlement's pre-flight estimate, started when settling begins (or when work
   * that runs in process begins, `prepare`), may wait to be claimed by its broadcast. It is
   * the last simulation before broadcast: an older one is done again, so a payer who moved the
   * balance meanwhile is refused there, not mined as a revert that burns the hub's gas.
   */
  preflight_ttl_ms: 1_000,
  /** Pre-flight estimates waiting to be claimed, at most (oldest dropped first). */
  preflights_max: 1_024,
  /** Token EIP-712 domain separators kept (one per token the hub takes). */
  eip3009_domains_max: 64,
  /** Payers whose key is remembered for signature checks. */
  eip3009_keys_max: 4_096,
  /** Of those, payers with a multiplication table (~350 kB each at 6 bits). */
  eip3009_key_tables_max: 64,
  /** Window of a payer's table: 6 bits ≈ 1.4k points, built once in a few ms. */
  eip3009_key_window_bits: 6,
  /** One JSON-RPC call of the transfer-proof verifier. */
  rpc_timeout_ms: 10_000,
  /**
   * How long a paid call waits for the chain's head before writing its reconciliation ahead
   * with the last head seen instead (an RPC endpoint in trouble must not slow every call).
   */
  head_read_wait_ms: 500,
  /** Kept-alive sockets to one JSON-RPC endpoint, at most (more calls queue for one). */
  rpc_sockets_max: 32,
  /** Largest JSON-RPC answer read (viem's own default bound). */
  rpc_response_bytes_max: 10_485_760,
  /** Payment-identifier rows are kept this long (retries of one payment come within it). */
  payment_id_retention_ms: 24 * 60 * 60 * 1000,
  /** Largest result kept with a payment identifier for replays; larger ones replay without it. */
  payment_id_result_bytes_max: 65_536,
  /** Most confirmations a proof may demand (about an hour of Base blocks). */
  confirmations_max: 2_000,
} as const;
