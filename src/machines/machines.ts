import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { createKeyBindings } from "./bindings.ts";
import {
  type ControllerResolver,
  didPkhResolver,
  registryResolver,
  resolveControllers,
} from "./controllers.ts";
import { sameAddress } from "./eip191.ts";
import { checksummed, normalIdentityRef } from "./identity-ref.ts";
import { machineLimits } from "./limits.ts";
import { nextStatus, ownerEventFor } from "./machine.ts";
import type { Address, IdentityProof, Machine, MachineStatus, Viewer } from "./model.ts";
import { machineProblems } from "./problems.ts";
import { createIdentityProofs } from "./proofs.ts";
import { createRuntime } from "./runtime.ts";
import * as store from "./store.ts";

export interface MachinesDeps {
  clock: Clock;
  /** Names the hub in challenge messages (its public URL), so a signature is good only here. */
  hub: () => string;
  /** Tried in order; the default is the operator registry, then did:pkh. */
  resolvers?: readonly ControllerResolver[];
  /** 32 bytes: seals runtime endpoint auth tokens at rest (AES-256-GCM). */
  endpoint_secret_key: Uint8Array;
  /** The hub's outbound URL check; runtime endpoints of `public` scope must pass it. */
  checkUrl: (url: string, pointer: string) => Promise<void>;
  challenge_ttl_ms?: number;
  lease_ms?: number;
}

/** What a machine is registered with; `activate: false` registers it as a draft. */
export interface MachineInput {
  identity_ref: string;
  display_name: string;
  machine_type: string;
  runtime_profile: string;
  region: string;
  capabilities: string[];
  labels: Record<string, string>;
  skill_keys: string[];
  activate: boolean;
}

/** A partial update; `identity_ref` may be sent only unchanged. */
export type MachinePatch = Partial<Omit<MachineInput, "activate">> & { status?: MachineStatus };

/** A blocked machine's refusal: its proof's signer no longer controls the identity. */
function blockedProblem(m: Machine): Problem {
  return new Problem(
    machineProblems.MACHINE_IDENTITY_PROOF_INVALID,
    `${m.identity_proof.signer_address} no longer controls ${m.identity_ref}; re-prove it`,
  );
}

/** Machines with identity proofs, their runtimes and principals' key bindings. */
export function createMachines(deps: MachinesDeps) {
  const { clock } = deps;
  const resolvers = deps.resolvers ?? [registryResolver(), didPkhResolver()];
  const ttl_ms = deps.challenge_ttl_ms ?? machineLimits.identity_challenge_ttl_ms;
  const proofs = createIdentityProofs({ clock, hub: deps.hub, resolvers, ttl_ms });

  /** Registers a machine owned by `owner_id` with a verified proof. */
  async function register(
    tx: Executor,
    owner_id: string,
    input: MachineInput,
    proof: IdentityProof,
  ): Promise<Machine> {
    if (proof.identity_ref !== normalIdentityRef(input.identity_ref)) {
      throw new Problem(machineProblems.MACHINE_IDENTITY_PROOF_INVALID, "proof is for another ref");
    }
    await proofs.consume(tx, proof);
    const now_ms = clock.now_ms();
    const { activate, ...fields } = input;
    const machine: Machine = {
      ...fields,
      id: newId("mach", now_ms),
      owner_id,
      identity_ref: proof.identity_ref,
      status: activate ? "active" : "draft",
      identity_proof: proof,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    if (!(await store.insertMachine(tx, machine))) {
      throw new Problem(
        machineProblems.MACHINE_IDENTITY_EXISTS,
        `a machine with identity ${machine.identity_ref} exists`,
      );
    }
    return machine;
  }

  /** The machine if `viewer` may see it; others get MACHINE_NOT_FOUND, not a hint it exists. */
  async function get(ex: Executor, viewer: Viewer, id: string): Promise<Machine> {
    const m = await store.getMachine(ex, id);
    if (!m || (!viewer.admin && m.owner_id !== viewer.principal_id)) {
      throw new Problem(machineProblems.MACHINE_NOT_FOUND, `no machine ${id}`);
    }
    return m;
  }

  /**
   * Re-checks the stored proof against the identity's controllers now and blocks the machine when
   * its signer no longer controls it. Pass an executor outside the request's transaction: the
   * block must stay even though the request that found it is refused.
   */
  async function recheck(ex: Executor, machine: Machine): Promise<Machine> {
    if (machine.status === "blocked" || machine.status === "archived") return machine;
    const now = await resolveControllers(resolvers, ex, machine.identity_ref);
    const signer = machine.identity_proof.signer_address;
    if (now.addresses.some((a) => sameAddress(a, signer))) return machine;
    const to = nextStatus(machine.status, "block");
    if (to) await store.setStatus(ex, machine.id, machine.status, to, clock.now_ms());
    return (await store.getMachine(ex, machine.id)) ?? machine;
  }

  /** A machine `viewer` may write to, its proof re-checked; optionally it must be active. */
  async function requireBound(
    ex: Executor,
    viewer: Viewer,
    id: string,
    options: { active: boolean },
  ): Promise<Machine> {
    const m = await recheck(ex, await get(ex, viewer, id));
    if (m.status === "blocked") throw blockedProblem(m);
    // Archived is final: no machine-bound write of any kind, active or not.
    if (options.active || m.status === "archived") requireActive(m);
    return m;
  }

  function requireActive(m: Machine): void {
    if (m.status !== "active") {
      throw new Problem(machineProblems.MACHINE_NOT_ACTIVE, `machine ${m.id} is ${m.status}`);
    }
  }

  /** Applies an owner's partial update, its status change checked against the state machine. */
  async function update(tx: Executor, viewer: Viewer, id: string, patch: MachinePatch) {
    const m = await get(tx, viewer, id);
    if (
      patch.identity_ref !== undefined &&
      normalIdentityRef(patch.identity_ref) !== m.identity_ref
    ) {
      throw new Problem(machineProblems.MACHINE_IDENTITY_IMMUTABLE, "identityRef cannot change");
    }
    let status = m.status;
    if (patch.status !== undefined && patch.status !== m.status) {
      const event = ownerEventFor(m.status, patch.status);
      const to = event ? nextStatus(m.status, event) : null;
      if (!to) {
        throw new Problem(
          machineProblems.MACHINE_STATUS_TRANSITION_INVALID,
          `a ${m.status} machine cannot be set ${patch.status}`,
        );
      }
      status = to;
    } else if (m.status === "blocked") {
      throw blockedProblem(m);
    } else if (m.status === "archived") {
      throw new Problem(machineProblems.MACHINE_NOT_ACTIVE, `machine ${m.id} is archived`);
    }
    const { identity_ref: _ignored, status: _s, ...fields } = patch;
    const next: Machine = { ...m, ...fields, status, updated_at_ms: clock.now_ms() };
    if (!(await store.updateMachine(tx, next, m.status))) {
      throw new Problem(kernelProblems.CONFLICT, `machine ${id} changed meanwhile; retry`);
    }
    return next;
  }

  /** Stores a fresh proof of the same identity; the way out of `blocked`. */
  async function reprove(tx: Executor, viewer: Viewer, id: string, proof: IdentityProof) {
    const m = await get(tx, viewer, id);
    if (proof.identity_ref !== m.identity_ref) {
      throw new Problem(machineProblems.MACHINE_IDENTITY_PROOF_INVALID, "proof is for another ref");
    }
    const to = nextStatus(m.status, "reprove");
    if (!to) {
      throw new Problem(machineProblems.MACHINE_NOT_ACTIVE, `machine ${m.id} is ${m.status}`);
    }
    await proofs.consume(tx, proof);
    const next: Machine = {
      ...m,
      status: to,
      identity_proof: proof,
      updated_at_ms: clock.now_ms(),
    };
    if (!(await store.updateMachine(tx, next, m.status))) {
      throw new Problem(kernelProblems.CONFLICT, `machine ${id} changed meanwhile; retry`);
    }
    return next;
  }

  /** Replaces the operator registry's controllers of an identity (empty removes it). */
  async function setRegistryControllers(
    tx: Executor,
    actor_id: string,
    identity_ref: string,
    addresses: Address[],
  ) {
    const ref = normalIdentityRef(identity_ref);
    const normal = [...new Set(addresses.map(checksummed))];
    await store.setRegistryControllers(tx, ref, normal, actor_id, clock.now_ms());
    return { identity_ref: ref, addresses: await store.registryControllers(tx, ref) };
  }

  /** Deletes expired identity and key-binding challenges; returns how many. */
  async function purgeExpired(ex: Executor, limit: number = machineLimits.purge_batch_max) {
    const now_ms = clock.now_ms();
    return (
      (await store.purgeChallenges(ex, now_ms, limit)) + (await bindings.purgeExpired(ex, limit))
    );
  }

  const bindings = createKeyBindings({ clock, hub: deps.hub, challenge_ttl_ms: ttl_ms });
  return {
    resolve: proofs.resolve,
    createChallenge: proofs.createChallenge,
    verifyProof: proofs.verifyProof,
    register,
    get,
    list: (ex: Executor, viewer: Viewer, after: string | null, limit: number) =>
      store.listMachines(ex, { owner_id: viewer.admin ? null : viewer.principal_id }, after, limit),
    recheck,
    requireBound,
    requireActive,
    update,
    reprove,
    setRegistryControllers,
    registryControllers: (ex: Executor, ref: string) =>
      store.registryControllers(ex, normalIdentityRef(ref)),
    listRegistry: store.listRegistry,
    purgeExpired,
    runtime: createRuntime(deps),
    bindings,
  };
}

export type Machines = ReturnType<typeof createMachines>;
