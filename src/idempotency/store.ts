import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";

type Int = number | bigint;

export interface IdemRow {
  scope_sha256: string;
  owner: string;
  method: string;
  route: string;
  idem_key: string;
  request_json: string;
  state: string;
  token: string;
  response_status: Int | null;
  response_json: string | null;
  locked_until_ms: Int;
  created_at_ms: Int;
  expires_at_ms: Int;
}

interface IdempotencyTables {
  idem_requests: IdemRow;
}

const q = (ex: Executor) => tablesOf<IdempotencyTables>(ex);

/** Reserves a scope; false when a row for it exists already. */
export async function reserve(ex: Executor, row: IdemRow): Promise<boolean> {
  const r = await q(ex)
    .insertInto("idem_requests")
    .values(row)
    .onConflict((oc) => oc.column("scope_sha256").doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function get(ex: Executor, scope_sha256: string) {
  const row = await q(ex)
    .selectFrom("idem_requests")
    .selectAll()
    .where("scope_sha256", "=", scope_sha256)
    .executeTakeFirst();
  if (!row) return null;
  return {
    ...row,
    response_status: numOrNull(row.response_status),
    locked_until_ms: num(row.locked_until_ms),
    expires_at_ms: num(row.expires_at_ms),
  };
}

/** Takes over a reservation whose holder's lock lapsed; false when someone else did first. */
export async function takeOver(
  ex: Executor,
  scope_sha256: string,
  old_token: string,
  new_token: string,
  locked_until_ms: number,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("idem_requests")
    .set({ token: new_token, locked_until_ms })
    .where("scope_sha256", "=", scope_sha256)
    .where("token", "=", old_token)
    .where("state", "=", "in_progress")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Stores the response of the holder of `token`; false when the reservation is no longer its. */
export async function complete(
  ex: Executor,
  scope_sha256: string,
  token: string,
  status: number,
  response_json: string,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("idem_requests")
    .set({ state: "done", response_status: status, response_json })
    .where("scope_sha256", "=", scope_sha256)
    .where("token", "=", token)
    .where("state", "=", "in_progress")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Drops a reservation (the request failed in a way worth retrying). */
export async function release(ex: Executor, scope_sha256: string, token: string): Promise<void> {
  await q(ex)
    .deleteFrom("idem_requests")
    .where("scope_sha256", "=", scope_sha256)
    .where("token", "=", token)
    .where("state", "=", "in_progress")
    .execute();
}

export async function removeExpired(ex: Executor, scope_sha256: string, now_ms: number) {
  await q(ex)
    .deleteFrom("idem_requests")
    .where("scope_sha256", "=", scope_sha256)
    .where("expires_at_ms", "<=", now_ms)
    .execute();
}

/** Deletes up to `limit` expired rows; returns how many. */
export async function purge(ex: Executor, now_ms: number, limit: number): Promise<number> {
  const ids = await q(ex)
    .selectFrom("idem_requests")
    .select("scope_sha256")
    .where("expires_at_ms", "<=", now_ms)
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  const r = await q(ex)
    .deleteFrom("idem_requests")
    .where(
      "scope_sha256",
      "in",
      ids.map((i) => i.scope_sha256),
    )
    .where("expires_at_ms", "<=", now_ms)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
