/**
 * The ledger's vocabulary (TigerBeetle semantics). Amounts are bigint minor units of one asset.
 * Replays: every transfer has a client-chosen id; the same id with the same fields returns
 * `exists`, with different fields `exists_with_different_<field>`; nothing is applied twice.
 * Concurrency: balances change only through guarded SQL updates, so concurrent debits of one
 * account can never overdraw it.
 */

/** What an account is for. Only `external` (money entering or leaving the hub) may go negative. */
export type AccountKind = "available" | "escrow" | "revenue" | "fees" | "external";
export const accountKinds: readonly AccountKind[] = [
  "available",
  "escrow",
  "revenue",
  "fees",
  "external",
];

/** The owner id of the hub's own accounts (external, fees). */
export const HUB_OWNER_ID = "hub";

/** An account and its balances. `available = balance - pending_debits`. */
export interface Account {
  id: string;
  owner_id: string;
  asset: string;
  kind: AccountKind;
  allow_negative: boolean;
  /** Posted balance: credits minus debits. */
  balance_minor: bigint;
  /** Sum of open holds debiting this account. */
  pending_debits_minor: bigint;
  /** Sum of open holds crediting this account. */
  pending_credits_minor: bigint;
  /** What the owner can spend now. */
  available_minor: bigint;
  created_at_ms: number;
}

/** How a transfer row came to be. */
export type TransferKind =
  | "posted"
  | "pending"
  | "post_pending"
  | "void_pending"
  | "expire_pending";

/** The life of a hold; non-pending transfers are `posted` at once. */
export type TransferState = "posted" | "pending" | "voided" | "expired";

/** A stored transfer. */
export interface Transfer {
  id: string;
  kind: TransferKind;
  state: TransferState;
  debit_account_id: string;
  credit_account_id: string;
  amount_minor: bigint;
  asset: string;
  code: string;
  /** For post/void/expire: the hold they close. */
  pending_id: string | null;
  /** For a hold: when it expires unless posted or voided. */
  timeout_at_ms: number | null;
  /** For a hold that was posted: how much of it was posted. */
  posted_amount_minor: bigint | null;
  batch_id: string | null;
  metadata: Record<string, unknown>;
  created_at_ms: number;
}

interface TransferCommon {
  /** Client-chosen id; retries with the same id are safe. */
  id: string;
  metadata?: Record<string, unknown>;
}

/** Moves money at once. */
export interface PostedTransferInput extends TransferCommon {
  op: "transfer";
  debit_account_id: string;
  credit_account_id: string;
  amount_minor: bigint;
  asset: string;
  code: string;
}

/** Reserves money (a hold) that a later post or void closes. */
export interface HoldInput extends TransferCommon {
  op: "hold";
  debit_account_id: string;
  credit_account_id: string;
  amount_minor: bigint;
  asset: string;
  code: string;
  /** The hold expires (is voided) after this long; none = until posted or voided. */
  timeout_ms?: number;
}

/** Posts a hold, fully or in part; the rest returns to the debit account. */
export interface PostHoldInput extends TransferCommon {
  op: "post";
  pending_id: string;
  /** Defaults to the whole held amount. */
  amount_minor?: bigint;
  code?: string;
}

/** Releases a hold without moving money. */
export interface VoidHoldInput extends TransferCommon {
  op: "void";
  pending_id: string;
  code?: string;
}

export type TransferInput = PostedTransferInput | HoldInput | PostHoldInput | VoidHoldInput;

/** Expected outcomes of a transfer: codes, not exceptions. */
export type TransferResultCode =
  | "created"
  | "exists"
  | `exists_with_different_${string}`
  | "id_invalid"
  | "amount_must_be_positive"
  | "amount_too_large"
  | "accounts_must_differ"
  | "account_not_found"
  | "asset_mismatch"
  | "exceeds_balance"
  | "overflows_balance"
  | "metadata_too_large"
  | "timeout_invalid"
  | "pending_not_found"
  | "pending_already_posted"
  | "pending_already_voided"
  | "hold_expired"
  | "amount_exceeds_pending"
  | "linked_event_failed";

/** The outcome of one transfer of a batch. */
export interface TransferResult {
  id: string;
  result: TransferResultCode;
  /** Set when the transfer exists now (created or replayed). */
  transfer?: Transfer;
  /** For `exists_with_different_*`: the field that differs. */
  field?: string;
}

/** What `verify()` proves about the whole ledger. */
export interface LedgerReport {
  ok: boolean;
  /** Net of all entries per asset; must be zero. */
  sums: { asset: string; sum_minor: bigint }[];
  accounts_checked: number;
  entries_checked: number;
  failures: { check: string; subject: string; detail: string }[];
}
