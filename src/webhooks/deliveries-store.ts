import { sql } from "kysely";
import { columnIn, type Executor, num, numOrNull, onPostgres, tablesOf } from "../db/db.ts";
import type { DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookMessage } from "./model.ts";
import type { EndpointRow } from "./store.ts";

type Int = number | bigint;

interface DeliveryRow {
  id: string;
  message_id: string;
  endpoint_id: string;
  owner_id: string;
  type: string;
  status: string;
  generation: Int;
  attempts: Int;
  next_attempt_at_ms: Int | null;
  last_status_code: Int | null;
  last_error: string | null;
  delivered_at_ms: Int | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface AttemptRow {
  id: string;
  delivery_id: string;
  generation: Int;
  attempt: Int;
  at_ms: Int;
  status_code: Int | null;
  error: string | null;
  duration_ms: Int;
}

interface DeliveryTables {
  webhook_deliveries: DeliveryRow;
  webhook_attempts: AttemptRow;
}

/** The delivery tables with the ones a delivery refers to, for reads that join them. */
interface JoinedTables extends DeliveryTables {
  webhook_endpoints: EndpointRow;
  webhook_messages: Omit<WebhookMessage, "created_at_ms"> & { created_at_ms: Int };
}

const q = (ex: Executor) => tablesOf<DeliveryTables>(ex);

// Field by field, not a spread: rows read with a join carry other tables' columns (secrets).
const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  message_id: r.message_id,
  endpoint_id: r.endpoint_id,
  owner_id: r.owner_id,
  type: r.type,
  status: r.status as DeliveryStatus,
  generation: num(r.generation),
  attempts: num(r.attempts),
  next_attempt_at_ms: numOrNull(r.next_attempt_at_ms),
  last_status_code: numOrNull(r.last_status_code),
  last_error: r.last_error,
  delivered_at_ms: numOrNull(r.delivered_at_ms),
  created_at_ms: num(r.created_at_ms),
  updated_at_ms: num(r.updated_at_ms),
});

const toAttempt = (r: AttemptRow): WebhookAttempt => ({
  ...r,
  generation: num(r.generation),
  attempt: num(r.attempt),
  at_ms: num(r.at_ms),
  status_code: numOrNull(r.status_code),
  duration_ms: num(r.duration_ms),
});

export async function insertDelivery(ex: Executor, d: WebhookDelivery): Promise<void> {
  await q(ex).insertInto("webhook_deliveries").values(d).execute();
}

export async function getDelivery(ex: Executor, id: string): Promise<WebhookDelivery | null> {
  const row = await q(ex)
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toDelivery(row) : null;
}

/** What an attempt needs of its endpoint: where it goes, whether it may, what signs it. */
export type EndpointToSend = Pick<
  EndpointRow,
  "id" | "url" | "status" | "secret" | "previous_secret" | "previous_secret_until_ms"
>;

/** A delivery with the bytes it sends and its endpoint's sending columns. */
export interface DeliveryToSend {
  delivery: WebhookDelivery;
  message: Pick<WebhookMessage, "id" | "body">;
  endpoint: EndpointToSend;
}

/**
 * Deliveries by id with their message body and endpoint, in one query: a batch of attempts costs
 * one round trip to read (ids not found are left out).
 */
export async function getDeliveriesToSend(
  ex: Executor,
  ids: readonly string[],
): Promise<Map<string, DeliveryToSend>> {
  if (ids.length === 0) return new Map();
  const rows = await tablesOf<JoinedTables>(ex)
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_messages as m", "m.id", "d.message_id")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .selectAll("d")
    .select([
      "m.body as m_body",
      "e.url as e_url",
      "e.status as e_status",
      "e.secret as e_secret",
      "e.previous_secret as e_previous_secret",
      "e.previous_secret_until_ms as e_previous_secret_until_ms",
    ])
    .where(columnIn(ex, "d.id", ids))
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        delivery: toDelivery(r),
        message: { id: r.message_id, body: r.m_body },
        endpoint: {
          id: r.endpoint_id,
          url: r.e_url,
          status: r.e_status,
          secret: r.e_secret,
          previous_secret: r.e_previous_secret,
          previous_secret_until_ms: r.e_previous_secret_until_ms,
        },
      },
    ]),
  );
}

/**
 * Records the end of attempt `attempt` of `generation`; false when that attempt was recorded
 * already (a repeated outbox row) or the delivery was redelivered meanwhile.
 */
export async function finishAttempt(
  ex: Executor,
  d: Pick<WebhookDelivery, "id" | "generation">,
  attempt: number,
  set: Pick<
    WebhookDelivery,
    "status" | "next_attempt_at_ms" | "last_status_code" | "last_error" | "delivered_at_ms"
  > & { updated_at_ms: number },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("webhook_deliveries")
    .set({ ...set, attempts: attempt })
    .where("id", "=", d.id)
    .where("status", "=", "pending")
    .where("generation", "=", d.generation)
    .where("attempts", "=", attempt - 1)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Stores attempts in one statement. */
/** One attempt's end, for finishAttempts. */
export interface AttemptEnd {
  id: string;
  generation: number;
  attempt: number;
  status: WebhookDelivery["status"];
  next_attempt_at_ms: number | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at_ms: number | null;
  updated_at_ms: number;
}

/**
 * finishAttempt for many deliveries in one statement (an update from a VALUES list, which SQLite
 * and PostgreSQL both take); answers the ids whose attempt it recorded, each guarded as there.
 */
export async function finishAttempts(ex: Executor, ends: readonly AttemptEnd[]) {
  if (ends.length === 0) return new Set<string>();
  if (onPostgres(ex)) {
    // One JSON parameter instead of nine per row: building, sending and parsing a hundred-row
    // VALUES list cost the sender more CPU than PostgreSQL took to run it.
    const r = await sql<{ id: string }>`update webhook_deliveries d
        set attempts = v.attempt, status = v.status, next_attempt_at_ms = v.next_attempt_at_ms,
          last_status_code = v.last_status_code, last_error = v.last_error,
          delivered_at_ms = v.delivered_at_ms, updated_at_ms = v.updated_at_ms
        from json_to_recordset(${JSON.stringify(ends)}::json) as v(id text, generation integer,
          attempt integer, status text, next_attempt_at_ms bigint, last_status_code integer,
          last_error text, delivered_at_ms bigint, updated_at_ms bigint)
        where d.id = v.id and d.status = 'pending' and d.generation = v.generation
          and d.attempts = v.attempt - 1
        returning d.id`.execute(ex);
    return new Set(r.rows.map((x) => x.id));
  }
  const int = (v: number | null) => sql`cast(${v} as bigint)`;
  const rows = ends.map(
    (e) =>
      sql`(${e.id}, ${int(e.generation)}, ${int(e.attempt)}, ${e.status}, ${int(e.next_attempt_at_ms)},
        ${int(e.last_status_code)}, cast(${e.last_error} as text), ${int(e.delivered_at_ms)},
        ${int(e.updated_at_ms)})`,
  );
  // VALUES columns are column1… on both databases. The status guard is an expression so that
  // SQLite joins each VALUES row to its delivery by primary key; as a plain `status =` it walked
  // the (status, id) index over every pending delivery and matched VALUES rows by generation,
  // which made one batch's update cost ~30 ms with a backlog of 10k.
  const r = await sql<{ id: string }>`update webhook_deliveries
      set attempts = v.column3, status = v.column4, next_attempt_at_ms = v.column5,
        last_status_code = v.column6, last_error = v.column7, delivered_at_ms = v.column8,
        updated_at_ms = v.column9
      from (values ${sql.join(rows)}) as v
      where webhook_deliveries.id = v.column1 and webhook_deliveries.status || '' = 'pending'
        and webhook_deliveries.generation = v.column2
        and webhook_deliveries.attempts = v.column3 - 1
      returning webhook_deliveries.id`.execute(ex);
  return new Set(r.rows.map((x) => x.id));
}

export async function insertAttempts(ex: Executor, attempts: WebhookAttempt[]): Promise<void> {
  if (attempts.length === 0) return;
  if (onPostgres(ex)) {
    // As finishAttempts: one JSON parameter rather than eight per row.
    await sql`insert into webhook_attempts (id, delivery_id, generation, attempt, at_ms,
        status_code, error, duration_ms)
      select id, delivery_id, generation, attempt, at_ms, status_code, error, duration_ms
      from json_to_recordset(${JSON.stringify(attempts)}::json) as v(id text, delivery_id text,
        generation integer, attempt integer, at_ms bigint, status_code integer, error text,
        duration_ms integer)`.execute(ex);
    return;
  }
  await q(ex).insertInto("webhook_attempts").values(attempts).execute();
}

/** Starts a new generation of a finished delivery; false when it is pending. */
export async function reopen(ex: Executor, d: WebhookDelivery, now_ms: number) {
  const r = await q(ex)
    .updateTable("webhook_deliveries")
    .set({
      status: "pending",
      generation: d.generation + 1,
      attempts: 0,
      next_attempt_at_ms: now_ms,
      last_error: null,
      updated_at_ms: now_ms,
    })
    .where("id", "=", d.id)
    .where("generation", "=", d.generation)
    .where("status", "in", ["succeeded", "dead"])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** An endpoint's deliveries (every endpoint's without one), newest first, before a cursor. */
export async function listDeliveries(
  ex: Executor,
  f: { endpoint_id?: string; status?: DeliveryStatus },
  before: string | null,
  limit: number,
): Promise<WebhookDelivery[]> {
  let query = q(ex).selectFrom("webhook_deliveries").selectAll();
  if (f.endpoint_id) query = query.where("endpoint_id", "=", f.endpoint_id);
  if (f.status) query = query.where("status", "=", f.status);
  if (before) query = query.where("id", "<", before);
  return (await query.orderBy("id", "desc").limit(limit).execute()).map(toDelivery);
}

/** The latest attempts of each delivery, newest first. */
export async function attemptsOf(
  ex: Executor,
  delivery_ids: readonly string[],
  per_delivery_max: number,
): Promise<Map<string, WebhookAttempt[]>> {
  const out = new Map<string, WebhookAttempt[]>();
  if (delivery_ids.length === 0) return out;
  const rows = await q(ex)
    .selectFrom("webhook_attempts")
    .selectAll()
    .where("delivery_id", "in", [...delivery_ids])
    .orderBy("id", "desc")
    .execute();
  for (const row of rows.map(toAttempt)) {
    const list = out.get(row.delivery_id) ?? [];
    if (list.length < per_delivery_max) list.push(row);
    out.set(row.delivery_id, list);
  }
  return out;
}

export async function deleteDeliveriesOf(ex: Executor, endpoint_id: string): Promise<void> {
  const ids = q(ex)
    .selectFrom("webhook_deliveries")
    .select("id")
    .where("endpoint_id", "=", endpoint_id);
  await q(ex).deleteFrom("webhook_attempts").where("delivery_id", "in", ids).execute();
  await q(ex).deleteFrom("webhook_deliveries").where("endpoint_id", "=", endpoint_id).execute();
}
