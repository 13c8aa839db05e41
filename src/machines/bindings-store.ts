import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { Address, KeyBinding, KeyBindingChallenge, KeyType } from "./model.ts";

type Int = number | bigint;

interface ChallengeRow {
  id: string;
  principal_id: string;
  key_type: string;
  did: string;
  message: string;
  expires_at_ms: Int;
  consumed_at_ms: Int | null;
  created_at_ms: Int;
}

interface BindingRow {
  id: string;
  principal_id: string;
  key_type: string;
  did: string;
  address: string | null;
  challenge_id: string;
  verified_at_ms: Int;
  revoked_at_ms: Int | null;
  created_at_ms: Int;
}

interface BindingTables {
  machine_key_challenges: ChallengeRow;
  machine_key_bindings: BindingRow;
}

const q = (ex: Executor) => tablesOf<BindingTables>(ex);

function toBinding(row: BindingRow): KeyBinding {
  return {
    id: row.id,
    principal_id: row.principal_id,
    key_type: row.key_type as KeyType,
    did: row.did,
    address: row.address as Address | null,
    verified_at_ms: num(row.verified_at_ms),
    revoked_at_ms: numOrNull(row.revoked_at_ms),
    created_at_ms: num(row.created_at_ms),
  };
}

export async function insertChallenge(ex: Executor, c: KeyBindingChallenge): Promise<void> {
  await q(ex).insertInto("machine_key_challenges").values(c).execute();
}

export async function getChallenge(ex: Executor, id: string): Promise<KeyBindingChallenge | null> {
  const row = await q(ex)
    .selectFrom("machine_key_challenges")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    ...row,
    key_type: row.key_type as KeyType,
    expires_at_ms: num(row.expires_at_ms),
    consumed_at_ms: numOrNull(row.consumed_at_ms),
    created_at_ms: num(row.created_at_ms),
  };
}

/** Uses a challenge up in one guarded statement; false when used, expired or unknown. */
export async function consumeChallenge(ex: Executor, id: string, now_ms: number) {
  const r = await q(ex)
    .updateTable("machine_key_challenges")
    .set({ consumed_at_ms: now_ms })
    .where("id", "=", id)
    .where("consumed_at_ms", "is", null)
    .where("expires_at_ms", ">", now_ms)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function purgeChallenges(ex: Executor, now_ms: number, limit: number) {
  const ids = await q(ex)
    .selectFrom("machine_key_challenges")
    .select("id")
    .where("expires_at_ms", "<=", now_ms)
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  const r = await q(ex)
    .deleteFrom("machine_key_challenges")
    .where(
      "id",
      "in",
      ids.map((i) => i.id),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Inserts a binding; false when the key is bound (live) already. */
export async function insertBinding(ex: Executor, b: KeyBinding, challenge_id: string) {
  const r = await q(ex)
    .insertInto("machine_key_bindings")
    .values({ ...b, challenge_id })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function liveBindingOfDid(ex: Executor, did: string): Promise<KeyBinding | null> {
  const row = await q(ex)
    .selectFrom("machine_key_bindings")
    .selectAll()
    .where("did", "=", did)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirst();
  return row ? toBinding(row) : null;
}

/** A principal's live bindings, oldest first. */
export async function bindingsOf(ex: Executor, principal_id: string): Promise<KeyBinding[]> {
  const rows = await q(ex)
    .selectFrom("machine_key_bindings")
    .selectAll()
    .where("principal_id", "=", principal_id)
    .where("revoked_at_ms", "is", null)
    .orderBy("id")
    .execute();
  return rows.map(toBinding);
}

/** Revokes a live binding of a principal; false when there is none with that id. */
export async function revokeBinding(
  ex: Executor,
  principal_id: string,
  id: string,
  now_ms: number,
) {
  const r = await q(ex)
    .updateTable("machine_key_bindings")
    .set({ revoked_at_ms: now_ms })
    .where("id", "=", id)
    .where("principal_id", "=", principal_id)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
