import { sql } from "kysely";
import { type Executor, tablesOf } from "../db/db.ts";

type Int = number | bigint;

export interface JtiRow {
  jkt: string;
  jti: string;
  /** When the proof becomes too old to accept, so the row is no longer needed. */
  expires_at_ms: Int;
}

interface DpopTables {
  dpop_jtis: JtiRow;
}

const q = (ex: Executor) => tablesOf<DpopTables>(ex);

/**
 * Records a proof's jti; false when it is already recorded and not yet expired. One statement,
 * guarded by the primary key: of concurrent identical inserts exactly one counts a row. A row
 * that expired but was not purged yet is taken over, so purging late never refuses a proof.
 */
export async function recordJti(ex: Executor, row: JtiRow, now_ms: number): Promise<boolean> {
  const r = await q(ex)
    .insertInto("dpop_jtis")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["jkt", "jti"])
        .doUpdateSet((eb) => ({ expires_at_ms: eb.ref("excluded.expires_at_ms") }))
        .where("dpop_jtis.expires_at_ms", "<=", now_ms),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Deletes up to `limit` expired rows; returns how many. */
export async function purgeExpired(ex: Executor, now_ms: number, limit: number): Promise<number> {
  const batch = q(ex)
    .selectFrom("dpop_jtis")
    .select(["jkt", "jti"])
    .where("expires_at_ms", "<=", now_ms)
    .limit(limit);
  // A row-value IN (both engines have it) keeps the batch bounded without a surrogate key.
  const r = await q(ex)
    .deleteFrom("dpop_jtis")
    .where(sql<boolean>`(jkt, jti) in (${batch})`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
