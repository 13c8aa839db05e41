import { sql } from "kysely";
import { columnIn, type DialectName, type Executor, num, tablesOf } from "../db/db.ts";
import type { OutboxMessage, OutboxState } from "./model.ts";

type Int = number | bigint;

interface OutboxRow {
  id: string;
  topic: string;
  payload: string;
  state: string;
  attempts: Int;
  due_at_ms: Int;
  locked_until_ms: Int;
  dedupe_key: string | null;
  last_error: string | null;
  created_at_ms: Int;
  finished_at_ms: Int | null;
}

interface OutboxTables {
  outbox_messages: OutboxRow;
}

const q = (ex: Executor) => tablesOf<OutboxTables>(ex);

/*
 * `state = 'pending'` as a guard on rows already picked by id. Written as an expression so that
 * SQLite (no ANALYZE statistics) looks the rows up by primary key instead of walking the
 * (state, due_at_ms) index over every pending message: with a backlog of 10k that walk made
 * each batch's updates cost milliseconds. PostgreSQL plans both forms alike.
 */
const pendingGuard = sql<boolean>`state || '' = 'pending'`;

function toMessage(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    topic: row.topic,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    state: row.state as OutboxState,
    attempts: num(row.attempts),
    due_at_ms: num(row.due_at_ms),
    dedupe_key: row.dedupe_key,
    last_error: row.last_error,
    created_at_ms: num(row.created_at_ms),
  };
}

/** Inserts a message; false when its dedupe key exists already. */
export async function insert(ex: Executor, m: OutboxMessage): Promise<boolean> {
  const r = await q(ex)
    .insertInto("outbox_messages")
    .values({
      ...m,
      payload: JSON.stringify(m.payload),
      locked_until_ms: 0,
      finished_at_ms: null,
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function get(ex: Executor, id: string): Promise<OutboxMessage | null> {
  const row = await q(ex)
    .selectFrom("outbox_messages")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toMessage(row) : null;
}

export async function byDedupeKey(ex: Executor, key: string): Promise<OutboxMessage | null> {
  const row = await q(ex)
    .selectFrom("outbox_messages")
    .selectAll()
    .where("dedupe_key", "=", key)
    .executeTakeFirst();
  return row ? toMessage(row) : null;
}

/**
 * Leases up to `limit` due messages of the given topics and counts the attempt. On PostgreSQL,
 * SKIP LOCKED lets several workers (several hub processes) claim disjoint batches; SQLite has one
 * writer, so the guarded update alone is enough.
 */
export async function claimDue(
  ex: Executor,
  dialect: DialectName,
  spec: { now_ms: number; lease_ms: number; limit: number; topics: string[] },
): Promise<OutboxMessage[]> {
  if (spec.topics.length === 0) return [];
  const topics = sql.join(spec.topics.map((t) => sql`${t}`));
  const due = sql`select id from outbox_messages
        where state = 'pending' and due_at_ms <= ${spec.now_ms}
          and locked_until_ms <= ${spec.now_ms} and topic in (${topics})
        order by due_at_ms
        limit ${spec.limit}`;
  // On PostgreSQL the pick is a materialized CTE: as a plain `in (subquery … limit)` the planner
  // may run the subquery more than once and update more rows than the limit.
  const result =
    dialect === "postgres"
      ? await sql<OutboxRow>`
    with picked as materialized (${due} for update skip locked)
    update outbox_messages
       set locked_until_ms = ${spec.now_ms + spec.lease_ms}, attempts = attempts + 1
      from picked
     where outbox_messages.id = picked.id
       and state = 'pending' and locked_until_ms <= ${spec.now_ms}
    returning outbox_messages.*`.execute(ex)
      : await sql<OutboxRow>`
    update outbox_messages
       set locked_until_ms = ${spec.now_ms + spec.lease_ms}, attempts = attempts + 1
     where id in (${due})
       and ${pendingGuard} and locked_until_ms <= ${spec.now_ms}
    returning *`.execute(ex);
  return result.rows.map(toMessage).sort((a, b) => a.due_at_ms - b.due_at_ms);
}

/** Finishes a leased message. */
export async function finish(
  ex: Executor,
  id: string,
  state: "done" | "dead",
  now_ms: number,
  error: string | null,
): Promise<void> {
  await q(ex)
    .updateTable("outbox_messages")
    .set({ state, finished_at_ms: now_ms, last_error: error, locked_until_ms: 0 })
    .where("id", "=", id)
    .where(pendingGuard)
    .execute();
}

/** Finishes leased messages as done, in one statement. */
export async function finishDone(ex: Executor, ids: readonly string[], now_ms: number) {
  if (ids.length === 0) return;
  await q(ex)
    .updateTable("outbox_messages")
    .set({ state: "done", finished_at_ms: now_ms, last_error: null, locked_until_ms: 0 })
    .where(columnIn(ex, "id", ids))
    .where(pendingGuard)
    .execute();
}

/** Puts a leased message back for a later attempt. */
export async function reschedule(
  ex: Executor,
  id: string,
  due_at_ms: number,
  error: string,
  options: { attempt_back?: boolean } = {},
): Promise<void> {
  await q(ex)
    .updateTable("outbox_messages")
    .set({
      due_at_ms,
      last_error: error,
      locked_until_ms: 0,
      // A wait, not a failure: the claim's attempt is given back.
      ...(options.attempt_back ? { attempts: sql`attempts - 1` } : {}),
    })
    .where("id", "=", id)
    .where(pendingGuard)
    .execute();
}

/** Cancels a pending message by dedupe key; false when none was pending. */
export async function cancel(ex: Executor, key: string, now_ms: number): Promise<boolean> {
  const r = await q(ex)
    .updateTable("outbox_messages")
    .set({ state: "cancelled", finished_at_ms: now_ms })
    .where("dedupe_key", "=", key)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function countByState(ex: Executor): Promise<Record<string, number>> {
  const rows = await q(ex)
    .selectFrom("outbox_messages")
    .select(["state", (eb) => eb.fn.countAll().as("n")])
    .groupBy("state")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, num(r.n as Int)]));
}
