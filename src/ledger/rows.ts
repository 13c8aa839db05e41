import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { Account, AccountKind, Transfer, TransferKind, TransferState } from "./model.ts";

/** The ledger's tables as the stores read them, and their rows as the ledger's types. */

export type Int = number | bigint;

export interface LedgerTables {
  ledger_assets: { code: string; decimals: Int; created_at_ms: Int };
  ledger_accounts: {
    id: string;
    owner_id: string;
    asset: string;
    kind: string;
    allow_negative: Int;
    balance_minor: Int;
    pending_debits_minor: Int;
    pending_credits_minor: Int;
    created_at_ms: Int;
  };
  ledger_transfers: {
    id: string;
    kind: string;
    state: string;
    debit_account_id: string;
    credit_account_id: string;
    amount_minor: Int;
    asset: string;
    code: string;
    pending_id: string | null;
    timeout_at_ms: Int | null;
    posted_amount_minor: Int | null;
    batch_id: string | null;
    metadata: string;
    created_at_ms: Int;
  };
  ledger_entries: {
    transfer_id: string;
    account_id: string;
    asset: string;
    amount_minor: Int;
    created_at_ms: Int;
  };
}

export type AccountRow = LedgerTables["ledger_accounts"];
export type TransferRow = LedgerTables["ledger_transfers"];

export const q = (tx: Executor) => tablesOf<LedgerTables>(tx);

export function toAccount(row: AccountRow): Account {
  const balance = big(row.balance_minor);
  const pendingDebits = big(row.pending_debits_minor);
  return {
    id: row.id,
    owner_id: row.owner_id,
    asset: row.asset,
    kind: row.kind as AccountKind,
    allow_negative: num(row.allow_negative) === 1,
    balance_minor: balance,
    pending_debits_minor: pendingDebits,
    pending_credits_minor: big(row.pending_credits_minor),
    available_minor: balance - pendingDebits,
    created_at_ms: num(row.created_at_ms),
  };
}

export function toTransfer(row: TransferRow): Transfer {
  return {
    id: row.id,
    kind: row.kind as TransferKind,
    state: row.state as TransferState,
    debit_account_id: row.debit_account_id,
    credit_account_id: row.credit_account_id,
    amount_minor: big(row.amount_minor),
    asset: row.asset,
    code: row.code,
    pending_id: row.pending_id,
    timeout_at_ms: numOrNull(row.timeout_at_ms),
    posted_amount_minor: row.posted_amount_minor === null ? null : big(row.posted_amount_minor),
    batch_id: row.batch_id,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    created_at_ms: num(row.created_at_ms),
  };
}
