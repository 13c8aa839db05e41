import { sql } from "kysely";
import { big, type Executor, num, tablesOf } from "../db/db.ts";
import type { SpendReservation, SpendSnapshot } from "./model.ts";

type Int = number | bigint;

interface SpendRow {
  pairing_id: string;
  asset: string;
  day_key: string;
  day_spent_minor: Int;
  month_key: string;
  month_spent_minor: Int;
  total_spent_minor: Int;
  updated_at_ms: Int;
}

interface EntryRow {
  id: string;
  pairing_id: string;
  asset: string;
  amount_minor: Int;
  day_key: string;
  month_key: string;
  reference: string | null;
  created_at_ms: Int;
}

interface SpendTables {
  delegation_spend: SpendRow;
  delegation_spend_entries: EntryRow;
  delegation_pairings: { id: string; status: string };
}

const q = (ex: Executor) => tablesOf<SpendTables>(ex);

/** The counters of one pairing and asset, with today's and this month's zeroed when stale. */
export function toSnapshot(row: SpendRow, day_key: string, month_key: string): SpendSnapshot {
  return {
    pairing_id: row.pairing_id,
    asset: row.asset,
    day_key,
    day_spent_minor: row.day_key === day_key ? big(row.day_spent_minor) : 0n,
    month_key,
    month_spent_minor: row.month_key === month_key ? big(row.month_spent_minor) : 0n,
    total_spent_minor: big(row.total_spent_minor),
  };
}

/** Makes sure the counter row exists, so the guarded update below has a row to guard. */
export async function ensureCounter(ex: Executor, pairing_id: string, asset: string, now: number) {
  await q(ex)
    .insertInto("delegation_spend")
    .values({
      pairing_id,
      asset,
      day_key: "",
      day_spent_minor: 0n,
      month_key: "",
      month_spent_minor: 0n,
      total_spent_minor: 0n,
      updated_at_ms: now,
    })
    .onConflict((oc) => oc.columns(["pairing_id", "asset"]).doNothing())
    .execute();
}

export interface SpendLimits {
  daily_minor: bigint | null;
  monthly_minor: bigint | null;
  total_minor: bigint | null;
}

/**
 * Adds `amount` to today's, this month's and the total counter in ONE guarded statement: the
 * row changes only if the pairing is active and every limit still holds after the addition. The
 * database evaluates the guard against the latest committed row under its row lock (PostgreSQL
 * re-checks after waiting; SQLite serializes writers), so concurrent reservations cannot pass a
 * limit together. SET expressions read the old row, so a new day starts from zero.
 */
export async function addSpend(
  ex: Executor,
  s: { pairing_id: string; asset: string; amount: bigint; day_key: string; month_key: string },
  limits: SpendLimits,
  now_ms: number,
): Promise<boolean> {
  const day = sql<Int>`(case when day_key = ${s.day_key} then day_spent_minor else 0 end)`;
  const month = sql<Int>`(case when month_key = ${s.month_key} then month_spent_minor else 0 end)`;
  let update = q(ex)
    .updateTable("delegation_spend")
    .set({
      day_spent_minor: sql`${day} + ${s.amount}`,
      day_key: s.day_key,
      month_spent_minor: sql`${month} + ${s.amount}`,
      month_key: s.month_key,
      total_spent_minor: sql`total_spent_minor + ${s.amount}`,
      updated_at_ms: now_ms,
    })
    .where("pairing_id", "=", s.pairing_id)
    .where("asset", "=", s.asset)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("delegation_pairings")
          .select("id")
          .where("id", "=", s.pairing_id)
          .where("status", "=", "active"),
      ),
    );
  if (limits.daily_minor !== null) {
    update = update.where(sql<boolean>`${day} + ${s.amount} <= ${limits.daily_minor}`);
  }
  if (limits.monthly_minor !== null) {
    update = update.where(sql<boolean>`${month} + ${s.amount} <= ${limits.monthly_minor}`);
  }
  if (limits.total_minor !== null) {
    update = update.where(sql<boolean>`total_spent_minor + ${s.amount} <= ${limits.total_minor}`);
  }
  const r = await update.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function getCounter(ex: Executor, pairing_id: string, asset: string) {
  return (
    (await q(ex)
      .selectFrom("delegation_spend")
      .selectAll()
      .where("pairing_id", "=", pairing_id)
      .where("asset", "=", asset)
      .executeTakeFirst()) ?? null
  );
}

export async function countersOf(ex: Executor, pairing_ids: string[]): Promise<SpendRow[]> {
  if (pairing_ids.length === 0) return [];
  return q(ex)
    .selectFrom("delegation_spend")
    .selectAll()
    .where("pairing_id", "in", pairing_ids)
    .orderBy("pairing_id")
    .orderBy("asset")
    .execute();
}

const toEntry = (r: EntryRow): SpendReservation => ({
  ...r,
  amount_minor: big(r.amount_minor),
  created_at_ms: num(r.created_at_ms),
});

export async function insertEntry(ex: Executor, e: SpendReservation): Promise<void> {
  await q(ex).insertInto("delegation_spend_entries").values(e).execute();
}

export async function entriesOf(ex: Executor, pairing_id: string, limit: number) {
  const rows = await q(ex)
    .selectFrom("delegation_spend_entries")
    .selectAll()
    .where("pairing_id", "=", pairing_id)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toEntry);
}

/** The reservations made for `reference` (an order id), releases excluded. */
export async function reservationsFor(ex: Executor, reference: string) {
  const rows = await q(ex)
    .selectFrom("delegation_spend_entries")
    .selectAll()
    .where("reference", "=", reference)
    .where("amount_minor", ">", 0n)
    .orderBy("id")
    .execute();
  return rows.map(toEntry);
}

/**
 * Gives a reservation back, once: a release entry (negative amount, id `<reservation>.rel`) is
 * inserted, and only if that insert happened are the counters lowered — today's and this month's
 * only when the reservation counted in the window the counter is still on.
 */
export async function releaseEntry(
  ex: Executor,
  e: SpendReservation,
  now_ms: number,
): Promise<boolean> {
  const inserted = await q(ex)
    .insertInto("delegation_spend_entries")
    .values({ ...e, id: `${e.id}.rel`, amount_minor: -e.amount_minor, created_at_ms: now_ms })
    .onConflict((oc) => oc.column("id").doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
  await q(ex)
    .updateTable("delegation_spend")
    .set({
      day_spent_minor: sql`case when day_key = ${e.day_key} then day_spent_minor - ${e.amount_minor} else day_spent_minor end`,
      month_spent_minor: sql`case when month_key = ${e.month_key} then month_spent_minor - ${e.amount_minor} else month_spent_minor end`,
      total_spent_minor: sql`total_spent_minor - ${e.amount_minor}`,
      updated_at_ms: now_ms,
    })
    .where("pairing_id", "=", e.pairing_id)
    .where("asset", "=", e.asset)
    .execute();
  return true;
}
