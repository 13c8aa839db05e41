import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { EndpointStatus, WebhookEndpoint, WebhookMessage } from "./model.ts";

type Int = number | bigint;

/** An endpoint with its sealed secrets (never leaves the module). */
export interface EndpointRow {
  id: string;
  owner_id: string;
  url: string;
  event_types: string;
  description: string;
  status: string;
  disabled_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until_ms: Int | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface MessageRow extends Omit<WebhookMessage, "created_at_ms"> {
  created_at_ms: Int;
}

interface EndpointTables {
  webhook_endpoints: EndpointRow;
  webhook_messages: MessageRow;
}

const q = (ex: Executor) => tablesOf<EndpointTables>(ex);

export function toEndpoint(r: EndpointRow): WebhookEndpoint {
  return {
    id: r.id,
    owner_id: r.owner_id,
    url: r.url,
    event_types: JSON.parse(r.event_types) as string[],
    description: r.description,
    status: r.status as EndpointStatus,
    disabled_reason: r.disabled_reason,
    previous_secret_until_ms: numOrNull(r.previous_secret_until_ms),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

export async function insertEndpoint(ex: Executor, row: EndpointRow): Promise<void> {
  await q(ex).insertInto("webhook_endpoints").values(row).execute();
}

export async function getEndpointRow(ex: Executor, id: string): Promise<EndpointRow | null> {
  return (
    (await q(ex)
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst()) ?? null
  );
}

export async function endpointsOf(ex: Executor, owner_id: string): Promise<WebhookEndpoint[]> {
  const rows = await q(ex)
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("owner_id", "=", owner_id)
    .orderBy("id")
    .execute();
  return rows.map(toEndpoint);
}

/** Enabled endpoints of several owners (the recipients of one event). */
export async function enabledEndpointsOf(ex: Executor, owner_ids: readonly string[]) {
  if (owner_ids.length === 0) return [];
  const rows = await q(ex)
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("owner_id", "in", [...owner_ids])
    .where("status", "=", "enabled")
    .orderBy("id")
    .execute();
  return rows.map(toEndpoint);
}

export async function countEndpoints(ex: Executor, owner_id: string): Promise<number> {
  const row = await q(ex)
    .selectFrom("webhook_endpoints")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("owner_id", "=", owner_id)
    .executeTakeFirstOrThrow();
  return num(row.n as Int);
}

export async function updateEndpoint(
  ex: Executor,
  id: string,
  patch: Partial<Omit<EndpointRow, "id" | "owner_id" | "created_at_ms">>,
): Promise<void> {
  await q(ex).updateTable("webhook_endpoints").set(patch).where("id", "=", id).execute();
}

/** Disables an endpoint unless it is disabled already; true when this call did it. */
export async function disableEndpoint(ex: Executor, id: string, reason: string, now_ms: number) {
  const r = await q(ex)
    .updateTable("webhook_endpoints")
    .set({ status: "disabled", disabled_reason: reason, updated_at_ms: now_ms })
    .where("id", "=", id)
    .where("status", "=", "enabled")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteEndpoint(ex: Executor, id: string): Promise<void> {
  await q(ex).deleteFrom("webhook_endpoints").where("id", "=", id).execute();
}

export async function insertMessage(ex: Executor, m: WebhookMessage): Promise<void> {
  await q(ex).insertInto("webhook_messages").values(m).execute();
}

export async function getMessage(ex: Executor, id: string): Promise<WebhookMessage | null> {
  const row = await q(ex)
    .selectFrom("webhook_messages")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? { ...row, created_at_ms: num(row.created_at_ms) } : null;
}
