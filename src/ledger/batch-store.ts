import { sql } from "kysely";
import { compiledQuery } from "../db/compiled.ts";
import type { Executor } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { Account, Transfer } from "./model.ts";
import { type LedgerTables, q, type TransferRow, toAccount, toTransfer } from "./rows.ts";

/**
 * The statements of a transfer batch (batch.ts): its replay check, one guarded update per
 * account for the batch's net change, its transfers and entry lines in one insert each, and the
 * undo of a batch that cannot complete.
 */

const MAX = limits.amount_minor_max;

/** The transfers among `ids` that exist (one query for a batch's replay check). */
export async function getTransfers(tx: Executor, ids: string[]): Promise<Map<string, Transfer>> {
  if (ids.length === 0) return new Map();
  const { rows } = await transfersByIds(tx, ids);
  return new Map(rows.map((r) => [r.id, toTransfer(r)]));
}

const transfersByIds = compiledQuery((db, ids: string[]) =>
  q(db).selectFrom("ledger_transfers").selectAll().where("id", "in", ids),
);

/** The accounts among `ids` that exist. */
export async function getAccounts(tx: Executor, ids: string[]): Promise<Account[]> {
  if (ids.length === 0) return [];
  const rows = await q(tx)
    .selectFrom("ledger_accounts")
    .selectAll()
    .where("id", "in", ids)
    .execute();
  return rows.map(toAccount);
}

/**
 * What a batch does to one account: the net change of each column, and the extremes its running
 * change reaches on the way (relative to the start), so one guarded update is as strict as the
 * sequence of guarded updates it replaces.
 */
export interface AccountDelta {
  balance: bigint;
  pending_debits: bigint;
  pending_credits: bigint;
  /** Lowest running `balance - pending_debits` change. */
  available_low: bigint;
  balance_low: bigint;
  balance_high: bigint;
  pending_debits_low: bigint;
  pending_credits_low: bigint;
  pending_credits_high: bigint;
}

/**
 * Applies a batch's net change to one account when every step of it would have passed its own
 * guard: no overdraft (unless the account may go negative, within int64), no overflow, no
 * pending side below zero. False, and nothing written, otherwise.
 */
export async function applyDelta(tx: Executor, account_id: string, d: AccountDelta) {
  const r = await applyDeltaQuery(tx, {
    id: account_id,
    balance: d.balance,
    pending_debits: d.pending_debits,
    pending_credits: d.pending_credits,
    pending_debits_min: -d.pending_debits_low,
    pending_credits_min: -d.pending_credits_low,
    pending_credits_max: MAX - d.pending_credits_high,
    balance_max: MAX - d.balance_high,
    available_min: -d.available_low,
    negative_available_min: -MAX - d.available_low,
    negative_balance_min: -MAX - d.balance_low,
  });
  return r.numAffectedRows === 1n;
}

const applyDeltaQuery = compiledQuery(
  (
    db,
    a: {
      id: string;
      balance: bigint;
      pending_debits: bigint;
      pending_credits: bigint;
      pending_debits_min: bigint;
      pending_credits_min: bigint;
      pending_credits_max: bigint;
      balance_max: bigint;
      available_min: bigint;
      negative_available_min: bigint;
      negative_balance_min: bigint;
    },
  ) =>
    q(db)
      .updateTable("ledger_accounts")
      .set({
        balance_minor: sql`balance_minor + ${a.balance}`,
        pending_debits_minor: sql`pending_debits_minor + ${a.pending_debits}`,
        pending_credits_minor: sql`pending_credits_minor + ${a.pending_credits}`,
      })
      .where("id", "=", a.id)
      .where("pending_debits_minor", ">=", a.pending_debits_min)
      .where("pending_credits_minor", ">=", a.pending_credits_min)
      .where("pending_credits_minor", "<=", a.pending_credits_max)
      .where("balance_minor", "<=", a.balance_max)
      .where((eb) =>
        eb.or([
          eb(sql`balance_minor - pending_debits_minor`, ">=", a.available_min),
          eb.and([
            eb("allow_negative", "=", 1),
            eb(sql`balance_minor - pending_debits_minor`, ">=", a.negative_available_min),
            eb("balance_minor", ">=", a.negative_balance_min),
          ]),
        ]),
      ),
);

/** Takes back a change `applyDelta` made earlier in this transaction (its rows are ours). */
export async function undoDelta(tx: Executor, account_id: string, d: AccountDelta) {
  await q(tx)
    .updateTable("ledger_accounts")
    .set({
      balance_minor: sql`balance_minor - ${d.balance}`,
      pending_debits_minor: sql`pending_debits_minor - ${d.pending_debits}`,
      pending_credits_minor: sql`pending_credits_minor - ${d.pending_credits}`,
    })
    .where("id", "=", account_id)
    .execute();
}

/** Inserts transfer rows; returns the ids inserted (a taken id is skipped, not an error). */
export async function insertTransfers(tx: Executor, ts: Transfer[]): Promise<Set<string>> {
  const { rows } = await insertTransfersQuery(
    tx,
    ts.map((t) => ({ ...t, metadata: JSON.stringify(t.metadata) })),
  );
  return new Set(rows.map((r) => r.id));
}

const insertTransfersQuery = compiledQuery((db, rows: TransferRow[]) =>
  q(db)
    .insertInto("ledger_transfers")
    .values(rows)
    .onConflict((oc) => oc.column("id").doNothing())
    .returning("id"),
);

/** Removes transfers this transaction inserted (undo of a batch that cannot complete). */
export async function deleteTransfers(tx: Executor, ids: string[]): Promise<void> {
  if (ids.length) await q(tx).deleteFrom("ledger_transfers").where("id", "in", ids).execute();
}

/** Reopens holds this transaction closed (undo of a batch that cannot complete). */
export async function reopenHolds(tx: Executor, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await q(tx)
    .updateTable("ledger_transfers")
    .set({ state: "pending", posted_amount_minor: null })
    .where("id", "in", ids)
    .execute();
}

/** Writes the entry lines of several posted movements in one statement. */
export async function insertEntryLines(
  tx: Executor,
  lines: { transfer: Transfer; amount: bigint }[],
): Promise<void> {
  if (lines.length === 0) return;
  await insertEntriesQuery(
    tx,
    lines.flatMap(({ transfer: t, amount }) => [
      {
        transfer_id: t.id,
        account_id: t.debit_account_id,
        asset: t.asset,
        amount_minor: -amount,
        created_at_ms: t.created_at_ms,
      },
      {
        transfer_id: t.id,
        account_id: t.credit_account_id,
        asset: t.asset,
        amount_minor: amount,
        created_at_ms: t.created_at_ms,
      },
    ]),
  );
}

const insertEntriesQuery = compiledQuery((db, rows: LedgerTables["ledger_entries"][]) =>
  q(db).insertInto("ledger_entries").values(rows),
);
