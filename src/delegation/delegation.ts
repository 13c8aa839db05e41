import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { checksummed } from "../machines/index.ts";
import { delegationLimits } from "./limits.ts";
import { nextPairingStatus, pairingEventFor } from "./machine.ts";
import type {
  AgentSession,
  ChallengePurpose,
  DelegationPolicy,
  Pairing,
  PairingChallenge,
  PairingStatus,
} from "./model.ts";
import { normalisePolicy, policyHash } from "./policy.ts";
import { delegationProblems } from "./problems.ts";
import { type AgentProofInput, type AgentSpec, agentDidOf, createAgentProofs } from "./proofs.ts";
import { createSpend } from "./spend.ts";
import * as store from "./store.ts";
import { createPairingTokens, type PairingSecrets } from "./tokens.ts";

export interface DelegationDeps {
  clock: Clock;
  /** The hub's public URL: named in challenges and used as the token issuer. */
  hub: () => string;
  /** HS256 secrets of pairing tokens (current, and previous during a rotation). */
  token_secrets: PairingSecrets;
  token_ttl_ms?: number;
  challenge_ttl_ms?: number;
}

/** What an owner may change on a pairing. */
export interface PairingPatch {
  policy?: DelegationPolicy;
  status?: Exclude<PairingStatus, "revoked">;
  description?: string | null;
}

const P = delegationProblems;

/** Agent pairings with session tokens, and the spend counters of their delegation policies. */
export function createDelegation(deps: DelegationDeps) {
  const { clock } = deps;
  const ttl_ms = deps.token_ttl_ms ?? delegationLimits.pairing_token_ttl_ms;
  const proofs = createAgentProofs({
    clock,
    hub: deps.hub,
    ttl_ms: deps.challenge_ttl_ms ?? delegationLimits.pairing_challenge_ttl_ms,
  });
  const tokens = createPairingTokens({ clock, secrets: deps.token_secrets, issuer: deps.hub });
  const spend = createSpend();

  /** A new session for the pairing: its token is returned this once. */
  async function newSession(p: Omit<Pairing, "session">) {
    const now_ms = clock.now_ms();
    const session_id = newId("ses", now_ms);
    const token_id = newId("pjt", now_ms);
    const expires_at_ms = now_ms + ttl_ms;
    const token = await tokens.issue({
      machineId: p.machine_id,
      pairingId: p.id,
      sessionId: session_id,
      agentAddress: p.agent_address,
      agentDid: p.agent_did,
      delegationPolicyHash: p.policy_hash,
      exp: Math.floor(expires_at_ms / 1000),
      jti: token_id,
    });
    const session = {
      id: session_id,
      token_id,
      issued_at_ms: now_ms,
      expires_at_ms,
      token_last_four: token.slice(-4),
    };
    return { session, token };
  }

  /** A pairing of `machine_id`, or AGENT_PAIRING_NOT_FOUND (also for another machine's). */
  async function get(ex: Executor, machine_id: string, pairing_id: string): Promise<Pairing> {
    const p = await store.getPairing(ex, pairing_id);
    if (!p || p.machine_id !== machine_id) {
      throw new Problem(P.AGENT_PAIRING_NOT_FOUND, `no pairing ${pairing_id} on ${machine_id}`);
    }
    return p;
  }

  /**
   * A challenge for the agent to sign: `pairing` when the machine's owner asks (`requester_id`),
   * `session` for an active pairing that needs a new token (the agent may ask itself).
   */
  async function createChallenge(
    tx: Executor,
    machine_id: string,
    spec: AgentSpec & { purpose: ChallengePurpose; requester_id: string | null },
  ): Promise<PairingChallenge> {
    if (spec.purpose === "pairing") {
      return proofs.createChallenge(tx, { ...spec, machine_id, pairing_id: null });
    }
    const p = await store.livePairingOf(tx, machine_id, agentAddressOf(spec.agent_address));
    if (!p) throw new Problem(P.AGENT_PAIRING_NOT_FOUND, "this agent is not paired with it");
    if (p.status !== "active") throw inactive(p);
    return proofs.createChallenge(tx, {
      machine_id,
      purpose: "session",
      pairing_id: p.id,
      agent_address: p.agent_address,
      agent_did: p.agent_did,
      agent_provider: p.agent_provider,
      agent_role: p.agent_role,
      requester_id: spec.requester_id,
    });
  }

  /** Verifies the agent's proof and pairs it with the machine; returns the token once. */
  async function pair(
    tx: Executor,
    spec: AgentSpec & {
      machine_id: string;
      owner_id: string;
      /** Who asked for the challenge (the owner, or an admin acting for them). */
      requester_id?: string;
      description: string | null;
      policy: DelegationPolicy;
      proof: AgentProofInput | null | undefined;
    },
  ): Promise<{ pairing: Pairing; token: string }> {
    const agent_address = agentAddressOf(spec.agent_address);
    const { verification } = await proofs.verify(
      tx,
      {
        machine_id: spec.machine_id,
        purpose: "pairing",
        agent_address,
        requester_id: spec.requester_id ?? spec.owner_id,
        pairing_id: null,
      },
      spec.proof,
    );
    if (
      (await store.countLivePairings(tx, spec.machine_id)) >=
      delegationLimits.pairings_per_machine_max
    ) {
      throw new Problem(P.AGENT_PAIRING_LIMIT_REACHED, "revoke a pairing first");
    }
    await proofs.consume(tx, verification.challenge_id);
    const policy = normalisePolicy(spec.policy);
    const now_ms = clock.now_ms();
    const base = {
      id: newId("pair", now_ms),
      machine_id: spec.machine_id,
      owner_id: spec.owner_id,
      status: "active" as const,
      agent_address,
      agent_did: agentDidOf(agent_address, spec.agent_did),
      agent_provider: spec.agent_provider,
      agent_role: spec.agent_role,
      description: spec.description,
      verification,
      policy,
      policy_hash: policyHash(policy),
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    const { session, token } = await newSession(base);
    const pairing: Pairing = { ...base, session };
    if (!(await store.insertPairing(tx, pairing))) {
      throw new Problem(P.AGENT_PAIRING_EXISTS, `${agent_address} is paired already; revoke it`);
    }
    return { pairing, token };
  }

  /** A new session (token) for an active pairing, with a fresh proof by the agent's key. */
  async function rotate(
    tx: Executor,
    machine_id: string,
    pairing_id: string,
    proof: AgentProofInput | null | undefined,
  ): Promise<{ pairing: Pairing; token: string }> {
    const p = await get(tx, machine_id, pairing_id);
    if (p.status !== "active") throw inactive(p);
    const { verification } = await proofs.verify(
      tx,
      {
        machine_id,
        purpose: "session",
        agent_address: p.agent_address,
        requester_id: null,
        pairing_id,
      },
      proof,
    );
    await proofs.consume(tx, verification.challenge_id);
    const { session, token } = await newSession(p);
    return { pairing: await write(tx, p, { session, updated_at_ms: clock.now_ms() }), token };
  }

  async function write(tx: Executor, p: Pairing, changes: Partial<Pairing>): Promise<Pairing> {
    const next = { ...p, ...changes };
    if (!(await store.updatePairing(tx, next, p))) {
      throw new Problem(kernelProblems.CONFLICT, `pairing ${p.id} changed meanwhile; retry`);
    }
    return next;
  }

  /** Changes policy, status (active/paused) or description; effective for the next request. */
  async function update(tx: Executor, machine_id: string, pairing_id: string, patch: PairingPatch) {
    const p = await get(tx, machine_id, pairing_id);
    if (p.status === "revoked") throw inactive(p);
    const changes: Partial<Pairing> = { updated_at_ms: clock.now_ms() };
    if (patch.status !== undefined && patch.status !== p.status) {
      const to = nextPairingStatus(p.status, pairingEventFor(patch.status));
      if (!to)
        throw new Problem(P.AGENT_PAIRING_TRANSITION_INVALID, `${p.status} → ${patch.status}`);
      changes.status = to;
    }
    if (patch.policy !== undefined) {
      changes.policy = normalisePolicy(patch.policy);
      // A new hash makes every token issued under the old policy stale (peaq: rotate after PATCH).
      changes.policy_hash = policyHash(changes.policy);
    }
    if (patch.description !== undefined) changes.description = patch.description;
    return write(tx, p, changes);
  }

  /** Revokes at once: every token of the pairing is refused from the next request on. */
  async function revoke(tx: Executor, machine_id: string, pairing_id: string): Promise<Pairing> {
    const p = await get(tx, machine_id, pairing_id);
    if (p.status === "revoked") return p;
    return write(tx, p, { status: "revoked", session: null, updated_at_ms: clock.now_ms() });
  }

  /**
   * The agent behind an `x-agent-pairing-token` for `machine_id`: a valid signature and expiry,
   * this machine, an active pairing, the current session and the current policy hash.
   */
  async function authenticate(
    ex: Executor,
    token: string | undefined,
    machine_id: string,
  ): Promise<AgentSession> {
    if (!token) throw new Problem(P.AGENT_PAIRING_REQUIRED, "send x-agent-pairing-token");
    const claims = await tokens.verify(token);
    if (claims.machineId !== machine_id) {
      throw new Problem(P.AGENT_PAIRING_MACHINE_MISMATCH, "the token is for another machine");
    }
    const pairing = await store.getPairing(ex, claims.pairingId);
    if (!pairing || pairing.machine_id !== claims.machineId) {
      throw new Problem(
        P.AGENT_PAIRING_TOKEN_INVALID,
        "the token names no pairing of this machine",
      );
    }
    if (pairing.status !== "active") throw inactive(pairing);
    if (pairing.session?.id !== claims.sessionId) {
      throw new Problem(P.AGENT_PAIRING_TOKEN_STALE, "a newer session replaced this token");
    }
    if (pairing.policy_hash !== claims.delegationPolicyHash) {
      throw new Problem(P.AGENT_PAIRING_TOKEN_STALE, "the policy changed; rotate the session");
    }
    return { pairing, claims };
  }

  return {
    createChallenge,
    pair,
    rotate,
    update,
    revoke,
    get,
    list: (ex: Executor, machine_ids: string[]) => store.pairingsOf(ex, machine_ids),
    authenticate,
    reserveSpend: spend.reserveSpend,
    releaseSpend: spend.releaseSpend,
    spendOf: spend.spendOf,
    reservations: spend.reservations,
    purgeExpired: (ex: Executor, limit: number = delegationLimits.purge_batch_max) =>
      store.purgeChallenges(ex, clock.now_ms(), limit),
  };
}

export type Delegation = ReturnType<typeof createDelegation>;

function inactive(p: Pairing): Problem {
  return new Problem(P.AGENT_PAIRING_INACTIVE, `pairing ${p.id} is ${p.status}`);
}

function agentAddressOf(text: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new Problem(kernelProblems.VALIDATION_FAILED, "agentAddress is not an EVM address", {
      errors: [{ pointer: "/agentAddress", detail: "0x and 40 hex digits" }],
    });
  }
  return checksummed(text);
}
