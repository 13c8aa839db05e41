import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type {
  Address,
  IdentityChallenge,
  IdentityProof,
  Machine,
  MachineStatus,
  ResolutionSource,
} from "./model.ts";

type Int = number | bigint;

interface MachineRow {
  id: string;
  owner_id: string;
  identity_ref: string;
  display_name: string;
  status: string;
  machine_type: string;
  runtime_profile: string;
  region: string;
  capabilities: string;
  labels: string;
  skill_keys: string;
  identity_proof: string;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface ChallengeRow {
  id: string;
  identity_ref: string;
  requester_id: string;
  message: string;
  controller_addresses: string;
  resolution_source: string;
  expires_at_ms: Int;
  consumed_at_ms: Int | null;
  created_at_ms: Int;
}

interface MachineTables {
  machine_machines: MachineRow;
  machine_identity_challenges: ChallengeRow;
  machine_controller_registry: {
    identity_ref: string;
    address: string;
    created_by: string;
    created_at_ms: Int;
  };
}

const q = (ex: Executor) => tablesOf<MachineTables>(ex);

function toMachine(row: MachineRow): Machine {
  return {
    id: row.id,
    owner_id: row.owner_id,
    identity_ref: row.identity_ref,
    display_name: row.display_name,
    status: row.status as MachineStatus,
    machine_type: row.machine_type,
    runtime_profile: row.runtime_profile,
    region: row.region,
    capabilities: JSON.parse(row.capabilities) as string[],
    labels: JSON.parse(row.labels) as Record<string, string>,
    skill_keys: JSON.parse(row.skill_keys) as string[],
    identity_proof: JSON.parse(row.identity_proof) as IdentityProof,
    created_at_ms: num(row.created_at_ms),
    updated_at_ms: num(row.updated_at_ms),
  };
}

function toRow(m: Machine): MachineRow {
  return {
    ...m,
    capabilities: JSON.stringify(m.capabilities),
    labels: JSON.stringify(m.labels),
    skill_keys: JSON.stringify(m.skill_keys),
    identity_proof: JSON.stringify(m.identity_proof),
  };
}

/** Inserts a machine; false when a live machine holds its identity already. */
export async function insertMachine(ex: Executor, m: Machine): Promise<boolean> {
  const r = await q(ex)
    .insertInto("machine_machines")
    .values(toRow(m))
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function getMachine(ex: Executor, id: string): Promise<Machine | null> {
  const row = await q(ex)
    .selectFrom("machine_machines")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toMachine(row) : null;
}

/** A page of machines by id; every machine when `owner_id` is null (admin view). */
export async function listMachines(
  ex: Executor,
  filter: { owner_id: string | null; status?: MachineStatus },
  after: string | null,
  limit: number,
): Promise<Machine[]> {
  let query = q(ex).selectFrom("machine_machines").selectAll();
  if (filter.owner_id !== null) query = query.where("owner_id", "=", filter.owner_id);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (after) query = query.where("id", ">", after);
  return (await query.orderBy("id").limit(limit).execute()).map(toMachine);
}

/**
 * Writes a machine's mutable fields and status, guarded by the status it was read in; false when
 * someone else changed the status first (the caller re-reads and decides again).
 */
export async function updateMachine(
  ex: Executor,
  m: Machine,
  expected_status: MachineStatus,
): Promise<boolean> {
  const { id, owner_id, identity_ref, created_at_ms, ...rest } = toRow(m);
  const r = await q(ex)
    .updateTable("machine_machines")
    .set(rest)
    .where("id", "=", id)
    .where("status", "=", expected_status)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Moves a machine between two statuses; false when it was not in `from`. */
export async function setStatus(
  ex: Executor,
  id: string,
  from: MachineStatus,
  to: MachineStatus,
  now_ms: number,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("machine_machines")
    .set({ status: to, updated_at_ms: now_ms })
    .where("id", "=", id)
    .where("status", "=", from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertChallenge(ex: Executor, c: IdentityChallenge): Promise<void> {
  await q(ex)
    .insertInto("machine_identity_challenges")
    .values({ ...c, controller_addresses: JSON.stringify(c.controller_addresses) })
    .execute();
}

export async function getChallenge(ex: Executor, id: string): Promise<IdentityChallenge | null> {
  const row = await q(ex)
    .selectFrom("machine_identity_challenges")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    ...row,
    controller_addresses: JSON.parse(row.controller_addresses) as Address[],
    resolution_source: row.resolution_source as ResolutionSource,
    expires_at_ms: num(row.expires_at_ms),
    consumed_at_ms: numOrNull(row.consumed_at_ms),
    created_at_ms: num(row.created_at_ms),
  };
}

/**
 * Uses a challenge up. One guarded statement: of two requests carrying the same signature at the
 * same moment exactly one counts a row; an expired or used challenge counts none.
 */
export async function consumeChallenge(ex: Executor, id: string, now_ms: number) {
  const r = await q(ex)
    .updateTable("machine_identity_challenges")
    .set({ consumed_at_ms: now_ms })
    .where("id", "=", id)
    .where("consumed_at_ms", "is", null)
    .where("expires_at_ms", ">", now_ms)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Deletes up to `limit` challenges that can no longer be used; returns how many. */
export async function purgeChallenges(ex: Executor, now_ms: number, limit: number) {
  const ids = await q(ex)
    .selectFrom("machine_identity_challenges")
    .select("id")
    .where("expires_at_ms", "<=", now_ms)
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  const r = await q(ex)
    .deleteFrom("machine_identity_challenges")
    .where(
      "id",
      "in",
      ids.map((i) => i.id),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The operator-kept controllers of an identity, in address order. */
export async function registryControllers(ex: Executor, identity_ref: string) {
  const rows = await q(ex)
    .selectFrom("machine_controller_registry")
    .select("address")
    .where("identity_ref", "=", identity_ref)
    .orderBy("address")
    .execute();
  return rows.map((r) => r.address as Address);
}

/** Replaces the operator-kept controllers of an identity (none removes the entry). */
export async function setRegistryControllers(
  ex: Executor,
  identity_ref: string,
  addresses: Address[],
  created_by: string,
  now_ms: number,
): Promise<void> {
  await q(ex)
    .deleteFrom("machine_controller_registry")
    .where("identity_ref", "=", identity_ref)
    .execute();
  if (addresses.length === 0) return;
  await q(ex)
    .insertInto("machine_controller_registry")
    .values(
      addresses.map((address) => ({ identity_ref, address, created_by, created_at_ms: now_ms })),
    )
    .execute();
}

/** A page of registry entries: identity refs with their controllers. */
export async function listRegistry(ex: Executor, after: string | null, limit: number) {
  let refs = q(ex).selectFrom("machine_controller_registry").select("identity_ref").distinct();
  if (after) refs = refs.where("identity_ref", ">", after);
  const page = await refs.orderBy("identity_ref").limit(limit).execute();
  const out: { identity_ref: string; addresses: Address[] }[] = [];
  for (const { identity_ref } of page) {
    out.push({ identity_ref, addresses: await registryControllers(ex, identity_ref) });
  }
  return out;
}
