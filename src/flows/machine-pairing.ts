import type { Executor, Tx } from "../db/db.ts";
import type {
  AgentProofInput,
  AgentSession,
  AgentSpec,
  ChallengePurpose,
  Delegation,
  DelegationPolicy,
  Pairing,
  PairingPatch,
  SpendSnapshot,
} from "../delegation/index.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { HUB_VIEWER, type Machine, type Machines, type Viewer } from "../machines/index.ts";
import type { Orders } from "../orders/index.ts";
import type { WebhookFlows } from "./webhooks.ts";

/**
 * Use cases that need both a machine and its agent pairings. A machine-bound write re-checks the
 * machine's identity proof first, on an executor outside the write transaction (the re-check may
 * call an RPC, and a block it finds must stay even though the request is refused); the write then
 * runs in the caller's transaction through `runTx` (the HTTP layer's writeTx, for idempotency).
 */
export interface MachineModules {
  machines: Machines;
  delegation: Delegation;
  clock: Clock;
  /** Tells the machine's owner about pairing changes (`pairing.updated`), when wired. */
  webhooks?: Pick<WebhookFlows, "emit">;
}

/** `pairing.updated` to the machine's owner, in the change's transaction. No token in it. */
async function pairingChanged(mods: MachineModules, tx: Tx, p: Pairing, change: string) {
  await mods.webhooks?.emit(tx, {
    to: [p.owner_id],
    type: "pairing.updated",
    data: {
      change,
      machineId: p.machine_id,
      pairingId: p.id,
      status: p.status,
      agentAddress: p.agent_address,
      policyHash: p.policy_hash,
      updatedAt: isoOf(p.updated_at_ms),
    },
  });
}

/** How a flow reads before and writes inside the caller's transaction. */
export interface FlowIo {
  ex: Executor;
  runTx: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;
}

/**
 * A challenge for an agent to sign. A pairing challenge is the owner's (or an admin's) and needs
 * an active machine; a session challenge may be asked by the agent itself, without a key.
 */
export async function agentChallenge(
  mods: MachineModules,
  io: FlowIo,
  caller: Viewer | null,
  machine_id: string,
  spec: AgentSpec & { purpose: ChallengePurpose },
) {
  const viewer = spec.purpose === "pairing" ? caller : (caller ?? HUB_VIEWER);
  if (viewer === null) throw new TypeError("a pairing challenge needs an authenticated caller");
  const m = await mods.machines.requireBound(io.ex, viewer, machine_id, { active: true });
  return io.runTx((tx) =>
    mods.delegation.createChallenge(tx, m.id, {
      ...spec,
      requester_id: spec.purpose === "pairing" ? viewer.principal_id : null,
    }),
  );
}

/** Pairs an agent with the caller's active machine, returning the pairing token once. */
export async function pairAgent(
  mods: MachineModules,
  io: FlowIo,
  viewer: Viewer,
  machine_id: string,
  spec: AgentSpec & {
    description: string | null;
    policy: DelegationPolicy;
    proof: AgentProofInput | null | undefined;
  },
) {
  const m = await mods.machines.requireBound(io.ex, viewer, machine_id, { active: true });
  return io.runTx(async (tx) => {
    const made = await mods.delegation.pair(tx, {
      ...spec,
      machine_id: m.id,
      // The challenge was issued to the caller; the pairing belongs to the machine's owner.
      owner_id: m.owner_id,
      requester_id: viewer.principal_id,
    });
    await pairingChanged(mods, tx, made.pairing, "paired");
    return made;
  });
}

/** A new session token for an active pairing of an active machine, on a fresh agent proof. */
export async function rotateSession(
  mods: MachineModules,
  io: FlowIo,
  machine_id: string,
  pairing_id: string,
  proof: AgentProofInput | null | undefined,
) {
  await mods.machines.requireBound(io.ex, HUB_VIEWER, machine_id, { active: true });
  return io.runTx(async (tx) => {
    const rotated = await mods.delegation.rotate(tx, machine_id, pairing_id, proof);
    await pairingChanged(mods, tx, rotated.pairing, "session_rotated");
    return rotated;
  });
}

/**
 * The owner's brakes: policy changes, pause and revoke need ownership only, never a re-check or
 * an active machine, so they work even while the identity lookup is down or the machine blocked.
 */
export async function changePairing(
  mods: MachineModules,
  io: FlowIo,
  viewer: Viewer,
  machine_id: string,
  pairing_id: string,
  patch: PairingPatch | "revoke",
): Promise<Pairing> {
  const m = await mods.machines.get(io.ex, viewer, machine_id);
  return io.runTx(async (tx) => {
    const changed =
      patch === "revoke"
        ? await mods.delegation.revoke(tx, m.id, pairing_id)
        : await mods.delegation.update(tx, m.id, pairing_id, patch);
    await pairingChanged(mods, tx, changed, patch === "revoke" ? "revoked" : "updated");
    return changed;
  });
}

/** A pairing with what it spent today (UTC) per asset. */
export interface PairingView {
  pairing: Pairing;
  spend: SpendSnapshot[];
}

async function withSpend(mods: MachineModules, ex: Executor, pairings: Pairing[]) {
  const spend = await mods.delegation.spendOf(
    ex,
    pairings.map((p) => p.id),
    mods.clock.now_ms(),
  );
  return pairings.map((pairing) => ({
    pairing,
    spend: spend.filter((s) => s.pairing_id === pairing.id),
  }));
}

/** The pairings of one of the viewer's machines, with spend. */
export async function machinePairings(
  mods: MachineModules,
  ex: Executor,
  viewer: Viewer,
  machine_id: string,
): Promise<PairingView[]> {
  const m = await mods.machines.get(ex, viewer, machine_id);
  return withSpend(mods, ex, await mods.delegation.list(ex, [m.id]));
}

/**
 * What a machine's agents bought and got back: the outcomes of orders made under its pairings,
 * newest first, for the machine's owner (or an admin) only.
 */
export async function machineOutcomes(
  mods: MachineModules & { orders: Pick<Orders, "outcomesOfPairings"> },
  ex: Executor,
  viewer: Viewer,
  machine_id: string,
  page: { before: string | null; limit: number },
) {
  const m = await mods.machines.get(ex, viewer, machine_id);
  const pairings = await mods.delegation.list(ex, [m.id]);
  return mods.orders.outcomesOfPairings(
    ex,
    pairings.map((p) => p.id),
    page.before,
    page.limit,
  );
}

/** One pairing of one of the viewer's machines, with spend. */
export async function machinePairing(
  mods: MachineModules,
  ex: Executor,
  viewer: Viewer,
  machine_id: string,
  pairing_id: string,
): Promise<PairingView> {
  const m = await mods.machines.get(ex, viewer, machine_id);
  const [view] = await withSpend(mods, ex, [await mods.delegation.get(ex, m.id, pairing_id)]);
  return view as PairingView;
}

/** The owner view: the viewer's machines, each with its pairings, policies and spend today. */
export async function ownerOverview(
  mods: MachineModules,
  ex: Executor,
  viewer: Viewer,
  after: string | null,
  limit: number,
): Promise<{ machine: Machine; pairings: PairingView[] }[]> {
  const machines = await mods.machines.list(ex, viewer, after, limit);
  const views = await withSpend(
    mods,
    ex,
    await mods.delegation.list(
      ex,
      machines.map((m) => m.id),
    ),
  );
  return machines.map((machine) => ({
    machine,
    pairings: views.filter((v) => v.pairing.machine_id === machine.id),
  }));
}

/**
 * The agent behind a pairing token, for requests about `machine_id` only; the machine must be
 * active. `recheck` re-verifies the machine's identity proof (do it on writes, before the tx).
 */
export async function authenticateAgent(
  mods: MachineModules,
  ex: Executor,
  token: string | undefined,
  machine_id: string,
  options: { recheck: boolean },
): Promise<AgentSession & { machine: Machine }> {
  const session = await mods.delegation.authenticate(ex, token, machine_id);
  const machine = options.recheck
    ? await mods.machines.requireBound(ex, HUB_VIEWER, machine_id, { active: true })
    : await mods.machines.get(ex, HUB_VIEWER, machine_id);
  mods.machines.requireActive(machine);
  return { ...session, machine };
}
