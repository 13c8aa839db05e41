import type { OrderStatus, PaymentStatus } from "./machine.ts";

/**
 * Orders: one purchase of one service operation, from a quote to a confirmed result. An order
 * keeps a snapshot of the service as quoted, so catalogue updates never rewrite what was bought.
 * Replays: creating an order takes the buyer's `client_ref` (or the Idempotency-Key); a second
 * create with the same ref returns the first order. Concurrency: every status change is a guarded
 * update from the expected status, so two racing events cannot both apply.
 */

/** The rails agx settles on its own ledger (on-chain rails plug into the same interface). */
export type Rail =
  | "not-required"
  | "prepaid"
  | "escrow"
  | "channel"
  | "offchain-record"
  | "external"
  | "vault-stripe"
  | "x402"
  /**
   * peaq's `wallet` rail: the buyer sends the token to the hub's address itself and proves it
   * with `{tx_hash, chain}`; once verified over RPC the transfer is deposited and held.
   */
  | "wdk-usdt-transfer"
  /**
   * peaq's on-chain escrow: the buyer locks the price in an escrow contract and proves it with
   * `{tx_hash, chain, escrow_address?}` on POST …/payment/escrow-lock. Verified over RPC (the
   * contract's lock event) when the hub has that chain's escrow configured, else recorded.
   */
  | "onchain-escrow"
  /** Solana micro-payments (pay.sh): proofs are recorded only, never verified. */
  | "mpp";

export const rails: readonly Rail[] = [
  "not-required",
  "prepaid",
  "escrow",
  "channel",
  "offchain-record",
  "external",
  "vault-stripe",
  "x402",
  "wdk-usdt-transfer",
  "onchain-escrow",
  "mpp",
];

export interface Order {
  id: string;
  buyer_id: string;
  provider_id: string;
  service_id: string;
  /** The service as it was when quoted (name, version, endpoints, pricing…). */
  service_snapshot: Record<string, unknown>;
  skill_key: string;
  operation: string;
  input: unknown;
  input_sha256: string;
  quote_id: string | null;
  amount_minor: bigint;
  fee_minor: bigint;
  asset: string;
  rail: Rail;
  status: OrderStatus;
  client_ref: string | null;
  /** The pairing whose agent bought this for a machine (its policy and spend limits apply). */
  pairing_id: string | null;
  handoff: Record<string, unknown> | null;
  error: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface Payment {
  id: string;
  order_id: string;
  rail: Rail;
  status: PaymentStatus;
  amount_minor: bigint;
  asset: string;
  /** The ledger hold (pending transfer) that reserves the money, when the rail holds. */
  hold_id: string | null;
  channel_id: string | null;
  /**
   * `ledger` (moved on the hub's ledger), `rpc` (verified on chain over RPC, the money stays on
   * chain: an on-chain escrow lock), `recorded` (proof kept, not verified), `none`.
   */
  verification: "ledger" | "rpc" | "recorded" | "none";
  proof: Record<string, unknown> | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface OrderEventRow {
  id: string;
  order_id: string;
  subject: "order" | "payment";
  event: string;
  from_status: string;
  to_status: string;
  actor_id: string;
  reason: string;
  at_ms: number;
}

export type RunStatus = "running" | "succeeded" | "failed";

export interface Run {
  id: string;
  order_id: string;
  service_id: string;
  skill_key: string;
  /** Which execution adapter ran it: `builtin`, `http`, `machine`. */
  route: string;
  status: RunStatus;
  started_at_ms: number;
  finished_at_ms: number | null;
  latency_ms: number | null;
  error: string | null;
}

export interface Outcome {
  id: string;
  run_id: string;
  order_id: string;
  result_sha256: string;
  result: unknown;
  created_at_ms: number;
}
