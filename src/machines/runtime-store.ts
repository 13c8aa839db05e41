import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { EndpointStatus, NetworkScope, RuntimeAgent, RuntimeEndpoint } from "./model.ts";

type Int = number | bigint;

interface AgentRow {
  id: string;
  machine_id: string;
  token_sha256: string;
  status: string;
  last_seen_at_ms: Int | null;
  revoked_at_ms: Int | null;
  created_at_ms: Int;
}

export interface EndpointRow {
  machine_id: string;
  provider_key: string;
  url: string;
  protocol: string;
  network_scope: string;
  capabilities: string;
  auth_token_sealed: string | null;
  agent_id: string | null;
  lease_expires_at_ms: Int | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface RuntimeTables {
  machine_runtime_agents: AgentRow;
  machine_runtime_endpoints: EndpointRow;
}

const q = (ex: Executor) => tablesOf<RuntimeTables>(ex);

function toAgent(row: AgentRow): RuntimeAgent {
  return {
    id: row.id,
    machine_id: row.machine_id,
    status: row.status as RuntimeAgent["status"],
    last_seen_at_ms: numOrNull(row.last_seen_at_ms),
    created_at_ms: num(row.created_at_ms),
  };
}

/** An endpoint as the API shows it; its status is computed from the lease at `now_ms`. */
export function toEndpoint(row: EndpointRow, now_ms: number): RuntimeEndpoint {
  const lease = numOrNull(row.lease_expires_at_ms);
  const status: EndpointStatus = lease !== null && lease <= now_ms ? "unreachable" : "active";
  return {
    machine_id: row.machine_id,
    provider_key: row.provider_key,
    url: row.url,
    protocol: row.protocol,
    network_scope: row.network_scope as NetworkScope,
    capabilities: JSON.parse(row.capabilities) as string[],
    has_auth_token: row.auth_token_sealed !== null,
    agent_id: row.agent_id,
    lease_expires_at_ms: lease,
    status,
    created_at_ms: num(row.created_at_ms),
    updated_at_ms: num(row.updated_at_ms),
  };
}

/** Enrols a runtime agent, retiring the machine's earlier ones (one live token per machine). */
export async function enrolAgent(ex: Executor, agent: RuntimeAgent, token_sha256: string) {
  await q(ex)
    .updateTable("machine_runtime_agents")
    .set({ revoked_at_ms: agent.created_at_ms })
    .where("machine_id", "=", agent.machine_id)
    .where("revoked_at_ms", "is", null)
    .execute();
  await q(ex)
    .insertInto("machine_runtime_agents")
    .values({ ...agent, token_sha256, revoked_at_ms: null })
    .execute();
}

/** The live agent holding this token hash. */
export async function agentByTokenHash(ex: Executor, token_sha256: string) {
  const row = await q(ex)
    .selectFrom("machine_runtime_agents")
    .selectAll()
    .where("token_sha256", "=", token_sha256)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirst();
  return row ? toAgent(row) : null;
}

export async function markAgentSeen(ex: Executor, id: string, now_ms: number) {
  await q(ex)
    .updateTable("machine_runtime_agents")
    .set({ status: "active", last_seen_at_ms: now_ms })
    .where("id", "=", id)
    .execute();
}

export async function getEndpointRow(ex: Executor, machine_id: string, provider_key: string) {
  return (
    (await q(ex)
      .selectFrom("machine_runtime_endpoints")
      .selectAll()
      .where("machine_id", "=", machine_id)
      .where("provider_key", "=", provider_key)
      .executeTakeFirst()) ?? null
  );
}

export async function listEndpointRows(ex: Executor, machine_id: string) {
  return q(ex)
    .selectFrom("machine_runtime_endpoints")
    .selectAll()
    .where("machine_id", "=", machine_id)
    .orderBy("provider_key")
    .execute();
}

export async function countEndpoints(ex: Executor, machine_id: string): Promise<number> {
  const row = await q(ex)
    .selectFrom("machine_runtime_endpoints")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("machine_id", "=", machine_id)
    .executeTakeFirstOrThrow();
  return num(row.n as Int);
}

/** Inserts or replaces one endpoint by (machine, provider key); `created_at_ms` is kept. */
export async function upsertEndpoint(ex: Executor, row: EndpointRow): Promise<void> {
  const { machine_id, provider_key, created_at_ms, ...changes } = row;
  await q(ex)
    .insertInto("machine_runtime_endpoints")
    .values(row)
    .onConflict((oc) => oc.columns(["machine_id", "provider_key"]).doUpdateSet(changes))
    .execute();
}

export async function deleteEndpoint(ex: Executor, machine_id: string, provider_key: string) {
  const r = await q(ex)
    .deleteFrom("machine_runtime_endpoints")
    .where("machine_id", "=", machine_id)
    .where("provider_key", "=", provider_key)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
