import { sql } from "kysely";
import { compiledQuery } from "../db/compiled.ts";
import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { Account, AccountKind, Transfer, TransferKind, TransferState } from "./model.ts";

type Int = number | bigint;

interface LedgerTables {
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

type AccountRow = LedgerTables["ledger_accounts"];
type TransferRow = LedgerTables["ledger_transfers"];

const q = (tx: Executor) => tablesOf<LedgerTables>(tx);
const MAX = limits.amount_minor_max;

function toAccount(row: AccountRow): Account {
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

function toTransfer(row: TransferRow): Transfer {
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

export async function assetDecimals(tx: Executor, code: string): Promise<number | null> {
  const row = await q(tx)
    .selectFrom("ledger_assets")
    .select("decimals")
    .where("code", "=", code)
    .executeTakeFirst();
  return row ? num(row.decimals) : null;
}

export async function insertAssetIfAbsent(
  tx: Executor,
  code: string,
  decimals: number,
  now_ms: number,
): Promise<void> {
  await q(tx)
    .insertInto("ledger_assets")
    .values({ code, decimals, created_at_ms: now_ms })
    .onConflict((oc) => oc.column("code").doNothing())
    .execute();
}

export async function listAssets(tx: Executor): Promise<{ code: string; decimals: number }[]> {
  const rows = await q(tx).selectFrom("ledger_assets").selectAll().orderBy("code").execute();
  return rows.map((r) => ({ code: r.code, decimals: num(r.decimals) }));
}

export async function insertAccountIfAbsent(
  tx: Executor,
  row: { id: string; owner_id: string; asset: string; kind: AccountKind; now_ms: number },
): Promise<void> {
  await q(tx)
    .insertInto("ledger_accounts")
    .values({
      id: row.id,
      owner_id: row.owner_id,
      asset: row.asset,
      kind: row.kind,
      allow_negative: row.kind === "external" ? 1 : 0,
      balance_minor: 0n,
      pending_debits_minor: 0n,
      pending_credits_minor: 0n,
      created_at_ms: row.now_ms,
    })
    .onConflict((oc) => oc.columns(["owner_id", "asset", "kind"]).doNothing())
    .execute();
}

export async function findAccount(
  tx: Executor,
  owner_id: string,
  asset: string,
  kind: AccountKind,
): Promise<Account | null> {
  const row = await q(tx)
    .selectFrom("ledger_accounts")
    .selectAll()
    .where("owner_id", "=", owner_id)
    .where("asset", "=", asset)
    .where("kind", "=", kind)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

export async function getAccount(tx: Executor, id: string): Promise<Account | null> {
  const row = await q(tx)
    .selectFrom("ledger_accounts")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

export async function accountsOf(tx: Executor, owner_id: string): Promise<Account[]> {
  const rows = await q(tx)
    .selectFrom("ledger_accounts")
    .selectAll()
    .where("owner_id", "=", owner_id)
    .orderBy("asset")
    .orderBy("kind")
    .execute();
  return rows.map(toAccount);
}

export async function getTransfer(tx: Executor, id: string): Promise<Transfer | null> {
  const row = await q(tx)
    .selectFrom("ledger_transfers")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toTransfer(row) : null;
}

/** Inserts a transfer row; false when its id is already taken (a concurrent twin won). */
export async function insertTransfer(tx: Executor, t: Transfer): Promise<boolean> {
  const inserted = await q(tx)
    .insertInto("ledger_transfers")
    .values({
      ...t,
      metadata: JSON.stringify(t.metadata),
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Posts a debit when funds allow (or the account may go negative within int64). */
export async function debitPosted(
  tx: Executor,
  account_id: string,
  amount: bigint,
): Promise<boolean> {
  const r = await q(tx)
    .updateTable("ledger_accounts")
    .set({ balance_minor: sql`balance_minor - ${amount}` })
    .where("id", "=", account_id)
    .where((eb) =>
      eb.or([
        eb(sql`balance_minor - pending_debits_minor`, ">=", amount),
        eb.and([eb("allow_negative", "=", 1), eb("balance_minor", ">=", -MAX + amount)]),
      ]),
    )
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Posts a credit unless it would overflow int64. */
export async function creditPosted(
  tx: Executor,
  account_id: string,
  amount: bigint,
): Promise<boolean> {
  const r = await q(tx)
    .updateTable("ledger_accounts")
    .set({ balance_minor: sql`balance_minor + ${amount}` })
    .where("id", "=", account_id)
    .where("balance_minor", "<=", MAX - amount)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Reserves a hold's debit side when funds allow. */
export async function reserveDebit(
  tx: Executor,
  account_id: string,
  amount: bigint,
): Promise<boolean> {
  const r = await q(tx)
    .updateTable("ledger_accounts")
    .set({ pending_debits_minor: sql`pending_debits_minor + ${amount}` })
    .where("id", "=", account_id)
    .where((eb) =>
      eb.or([
        eb(sql`balance_minor - pending_debits_minor`, ">=", amount),
        eb.and([
          eb("allow_negative", "=", 1),
          eb(sql`balance_minor - pending_debits_minor`, ">=", -MAX + amount),
        ]),
      ]),
    )
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Reserves a hold's credit side unless the pending credits would overflow. */
export async function reserveCredit(
  tx: Executor,
  account_id: string,
  amount: bigint,
): Promise<boolean> {
  const r = await q(tx)
    .updateTable("ledger_accounts")
    .set({ pending_credits_minor: sql`pending_credits_minor + ${amount}` })
    .where("id", "=", account_id)
    .where("pending_credits_minor", "<=", MAX - amount)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Releases `held` from an account's pending side and applies `posted` to its balance. */
export async function settleHoldSide(
  tx: Executor,
  side: "debit" | "credit",
  account_id: string,
  held: bigint,
  posted: bigint,
): Promise<boolean> {
  const pendingColumn = side === "debit" ? "pending_debits_minor" : "pending_credits_minor";
  const balance =
    side === "debit" ? sql<Int>`balance_minor - ${posted}` : sql<Int>`balance_minor + ${posted}`;
  let update = q(tx)
    .updateTable("ledger_accounts")
    .set({ [pendingColumn]: sql<Int>`${sql.ref(pendingColumn)} - ${held}`, balance_minor: balance })
    .where("id", "=", account_id)
    .where(pendingColumn, ">=", held);
  // A debit was reserved by the hold, so it cannot overdraw; a credit could overflow int64.
  if (side === "credit") update = update.where("balance_minor", "<=", MAX - posted);
  const r = await update.executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Moves an open hold to a final state; false when it was not open any more. */
export async function closeHold(
  tx: Executor,
  pending_id: string,
  state: "posted" | "voided" | "expired",
  posted_amount: bigint | null,
): Promise<boolean> {
  const r = await closeHoldQuery(tx, { id: pending_id, state, posted_amount });
  return r.numAffectedRows === 1n;
}

const closeHoldQuery = compiledQuery(
  (db, a: { id: string; state: string; posted_amount: bigint | null }) =>
    q(db)
      .updateTable("ledger_transfers")
      .set({ state: a.state, posted_amount_minor: a.posted_amount })
      .where("id", "=", a.id)
      .where("kind", "=", "pending")
      .where("state", "=", "pending"),
);

/** Writes the two lines of a posted movement: minus on the debit side, plus on the credit side. */
export async function insertEntries(tx: Executor, t: Transfer, amount: bigint): Promise<void> {
  await q(tx)
    .insertInto("ledger_entries")
    .values([
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
    ])
    .execute();
}

/** Open holds whose timeout has passed, oldest first. */
export async function dueHolds(tx: Executor, now_ms: number, limit: number): Promise<Transfer[]> {
  const rows = await q(tx)
    .selectFrom("ledger_transfers")
    .selectAll()
    .where("state", "=", "pending")
    .where("timeout_at_ms", "<=", now_ms)
    .orderBy("timeout_at_ms")
    .limit(limit)
    .execute();
  return rows.map(toTransfer);
}

/** Transfers touching any of `account_ids`, newest first, before the cursor id. */
export async function listTransfers(
  tx: Executor,
  account_ids: string[],
  before_id: string | null,
  limit: number,
): Promise<Transfer[]> {
  if (account_ids.length === 0) return [];
  let query = q(tx)
    .selectFrom("ledger_transfers")
    .selectAll()
    .where((eb) =>
      eb.or([
        eb("debit_account_id", "in", account_ids),
        eb("credit_account_id", "in", account_ids),
      ]),
    );
  if (before_id !== null) query = query.where("id", "<", before_id);
  const rows = await query.orderBy("id", "desc").limit(limit).execute();
  return rows.map(toTransfer);
}

/** The ledger-wide checks behind `verify()`, each a single aggregate query. */
export async function verificationFacts(tx: Executor) {
  const sums = await sql<{ asset: string; total: Int | string | null; n: Int }>`
    select asset, sum(amount_minor) as total, count(*) as n from ledger_entries group by asset
  `.execute(tx);
  const balanceMismatches = await sql<{ id: string; balance_minor: Int; total: Int | string }>`
    select a.id, a.balance_minor, coalesce(e.total, 0) as total
    from ledger_accounts a
    left join (select account_id, sum(amount_minor) as total from ledger_entries group by account_id) e
      on e.account_id = a.id
    where a.balance_minor <> coalesce(e.total, 0)
  `.execute(tx);
  const pendingMismatches = await sql<{ id: string }>`
    select a.id
    from ledger_accounts a
    left join (select debit_account_id as id, sum(amount_minor) as total from ledger_transfers
               where kind = 'pending' and state = 'pending' group by debit_account_id) d on d.id = a.id
    left join (select credit_account_id as id, sum(amount_minor) as total from ledger_transfers
               where kind = 'pending' and state = 'pending' group by credit_account_id) c on c.id = a.id
    where a.pending_debits_minor <> coalesce(d.total, 0)
       or a.pending_credits_minor <> coalesce(c.total, 0)
  `.execute(tx);
  const overdrawn = await sql<{ id: string }>`
    select id from ledger_accounts
    where allow_negative = 0 and balance_minor - pending_debits_minor < 0
  `.execute(tx);
  const unbalancedTransfers = await sql<{ transfer_id: string }>`
    select transfer_id from ledger_entries group by transfer_id
    having sum(amount_minor) <> 0 or count(*) <> 2
  `.execute(tx);
  const accounts = await sql<{ n: Int }>`select count(*) as n from ledger_accounts`.execute(tx);
  return {
    sums: sums.rows.map((r) => ({ asset: r.asset, sum_minor: big(r.total), entries: num(r.n) })),
    balanceMismatches: balanceMismatches.rows.map((r) => ({
      id: r.id,
      balance_minor: big(r.balance_minor),
      entries_minor: big(r.total),
    })),
    pendingMismatches: pendingMismatches.rows.map((r) => r.id),
    overdrawn: overdrawn.rows.map((r) => r.id),
    unbalancedTransfers: unbalancedTransfers.rows.map((r) => r.transfer_id),
    accounts: num(accounts.rows[0]?.n),
  };
}

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
