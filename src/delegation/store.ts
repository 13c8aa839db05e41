import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type {
  ChallengePurpose,
  Pairing,
  PairingChallenge,
  PairingSession,
  PairingStatus,
  PairingVerification,
} from "./model.ts";
import { policyFromJson, policyToJson } from "./policy.ts";

type Int = number | bigint;

interface ChallengeRow {
  id: string;
  machine_id: string;
  purpose: string;
  pairing_id: string | null;
  agent_address: string;
  agent_did: string;
  agent_provider: string;
  agent_role: string;
  requester_id: string | null;
  message: string;
  expires_at_ms: Int;
  consumed_at_ms: Int | null;
  created_at_ms: Int;
}

interface PairingRow {
  id: string;
  machine_id: string;
  owner_id: string;
  status: string;
  agent_address: string;
  agent_did: string;
  agent_provider: string;
  agent_role: string;
  description: string | null;
  verification: string;
  policy: string;
  policy_hash: string;
  session: string | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface DelegationTables {
  delegation_challenges: ChallengeRow;
  delegation_pairings: PairingRow;
}

const q = (ex: Executor) => tablesOf<DelegationTables>(ex);

function toPairing(row: PairingRow): Pairing {
  return {
    ...row,
    status: row.status as PairingStatus,
    agent_address: row.agent_address as `0x${string}`,
    verification: JSON.parse(row.verification) as PairingVerification,
    policy: policyFromJson(JSON.parse(row.policy) as Record<string, unknown>),
    session: row.session === null ? null : (JSON.parse(row.session) as PairingSession),
    created_at_ms: num(row.created_at_ms),
    updated_at_ms: num(row.updated_at_ms),
  };
}

function toRow(p: Pairing): PairingRow {
  return {
    ...p,
    verification: JSON.stringify(p.verification),
    policy: JSON.stringify(policyToJson(p.policy)),
    session: p.session === null ? null : JSON.stringify(p.session),
  };
}

export async function insertChallenge(ex: Executor, c: PairingChallenge): Promise<void> {
  await q(ex).insertInto("delegation_challenges").values(c).execute();
}

export async function getChallenge(ex: Executor, id: string): Promise<PairingChallenge | null> {
  const row = await q(ex)
    .selectFrom("delegation_challenges")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    ...row,
    purpose: row.purpose as ChallengePurpose,
    agent_address: row.agent_address as `0x${string}`,
    expires_at_ms: num(row.expires_at_ms),
    consumed_at_ms: numOrNull(row.consumed_at_ms),
    created_at_ms: num(row.created_at_ms),
  };
}

/** Uses a challenge up in one guarded statement; false when used, expired or unknown. */
export async function consumeChallenge(ex: Executor, id: string, now_ms: number) {
  const r = await q(ex)
    .updateTable("delegation_challenges")
    .set({ consumed_at_ms: now_ms })
    .where("id", "=", id)
    .where("consumed_at_ms", "is", null)
    .where("expires_at_ms", ">", now_ms)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function purgeChallenges(ex: Executor, now_ms: number, limit: number) {
  const ids = await q(ex)
    .selectFrom("delegation_challenges")
    .select("id")
    .where("expires_at_ms", "<=", now_ms)
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  const r = await q(ex)
    .deleteFrom("delegation_challenges")
    .where(
      "id",
      "in",
      ids.map((i) => i.id),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Inserts a pairing; false when the agent has a live pairing with the machine already. */
export async function insertPairing(ex: Executor, p: Pairing): Promise<boolean> {
  const r = await q(ex)
    .insertInto("delegation_pairings")
    .values(toRow(p))
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function getPairing(ex: Executor, id: string): Promise<Pairing | null> {
  const row = await q(ex)
    .selectFrom("delegation_pairings")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toPairing(row) : null;
}

/** The live (not revoked) pairing of an agent with a machine. */
export async function livePairingOf(ex: Executor, machine_id: string, agent_address: string) {
  const row = await q(ex)
    .selectFrom("delegation_pairings")
    .selectAll()
    .where("machine_id", "=", machine_id)
    .where("agent_address", "=", agent_address)
    .where("status", "<>", "revoked")
    .executeTakeFirst();
  return row ? toPairing(row) : null;
}

/** A machine's pairings (or several machines'), oldest first. */
export async function pairingsOf(ex: Executor, machine_ids: string[]): Promise<Pairing[]> {
  if (machine_ids.length === 0) return [];
  const rows = await q(ex)
    .selectFrom("delegation_pairings")
    .selectAll()
    .where("machine_id", "in", machine_ids)
    .orderBy("id")
    .execute();
  return rows.map(toPairing);
}

export async function countLivePairings(ex: Executor, machine_id: string): Promise<number> {
  const row = await q(ex)
    .selectFrom("delegation_pairings")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("machine_id", "=", machine_id)
    .where("status", "<>", "revoked")
    .executeTakeFirstOrThrow();
  return num(row.n as Int);
}

/**
 * Writes a pairing's mutable fields, guarded by the status and policy hash it was read with;
 * false when a concurrent change came first.
 */
export async function updatePairing(
  ex: Executor,
  next: Pairing,
  expected: { status: PairingStatus; policy_hash: string },
): Promise<boolean> {
  const row = toRow(next);
  const r = await q(ex)
    .updateTable("delegation_pairings")
    .set({
      status: row.status,
      description: row.description,
      verification: row.verification,
      policy: row.policy,
      policy_hash: row.policy_hash,
      session: row.session,
      updated_at_ms: row.updated_at_ms,
    })
    .where("id", "=", next.id)
    .where("status", "=", expected.status)
    .where("policy_hash", "=", expected.policy_hash)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
