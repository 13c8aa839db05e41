import { sql } from "kysely";
import { compiledQuery } from "../db/compiled.ts";
import { big, type Executor, num } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { Account, AccountKind, Transfer } from "./model.ts";
import { type Int, q, toAccount, toTransfer } from "./rows.ts";

const MAX = limits.amount_minor_max;

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
