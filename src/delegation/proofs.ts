import type { Executor } from "../db/db.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { newId, randomToken } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import {
  checksummed,
  didPkhOf,
  parseIdentityRef,
  recoverPersonalSigner,
  sameAddress,
} from "../machines/index.ts";
import type { ChallengePurpose, PairingChallenge, PairingVerification } from "./model.ts";
import { delegationProblems } from "./problems.ts";
import * as store from "./store.ts";

/** Who the agent says it is, as sent with a challenge request. */
export interface AgentSpec {
  agent_address: string;
  agent_did?: string | null | undefined;
  agent_provider: string;
  agent_role: string;
}

/** The signature half of an agent proof. */
export interface AgentProofInput {
  challenge_id: string;
  signature: string;
}

/** What a proof must match besides its signature. */
export interface ProofExpectation {
  machine_id: string;
  purpose: ChallengePurpose;
  agent_address: string;
  /** For pairings: the owner who asked for the challenge. */
  requester_id: string | null;
  /** For sessions: the pairing the session is for. */
  pairing_id: string | null;
}

/**
 * The agent's DID: `did:pkh:eip155:1:<address>` by default (peaq); a given one must be a did:pkh
 * of the same address, and is stored checksummed.
 */
export function agentDidOf(address: `0x${string}`, given?: string | null): string {
  if (given === undefined || given === null) return didPkhOf(address, 1);
  const parsed = parseIdentityRef(given);
  if (parsed?.kind !== "did:pkh" || !parsed.address || !sameAddress(parsed.address, address)) {
    throw new Problem(kernelProblems.VALIDATION_FAILED, "agentDid must be a did:pkh of the agent", {
      errors: [{ pointer: "/agentDid", detail: "did:pkh:eip155:<chain>:<agentAddress>" }],
    });
  }
  return parsed.ref;
}

function messageOf(hub: string, c: Omit<PairingChallenge, "message">, nonce: string): string {
  const action = c.purpose === "pairing" ? "pair with" : "renew its session with";
  return [
    `${hub} asks agent ${c.agent_address} to ${action} machine ${c.machine_id}.`,
    "",
    `Machine: ${c.machine_id}`,
    `Agent: ${c.agent_address}`,
    `Agent DID: ${c.agent_did}`,
    `Provider: ${c.agent_provider}`,
    `Role: ${c.agent_role}`,
    ...(c.pairing_id ? [`Pairing: ${c.pairing_id}`] : []),
    `Challenge: ${c.id}`,
    `Nonce: ${nonce}`,
    `Issued At: ${isoOf(c.created_at_ms)}`,
    `Expiration Time: ${isoOf(c.expires_at_ms)}`,
  ].join("\n");
}

/** Machine-bound agent challenges and their EIP-191 proofs. */
export function createAgentProofs(deps: { clock: Clock; hub: () => string; ttl_ms: number }) {
  const { clock } = deps;

  async function createChallenge(
    tx: Executor,
    spec: AgentSpec & {
      machine_id: string;
      purpose: ChallengePurpose;
      pairing_id: string | null;
      requester_id: string | null;
    },
  ): Promise<PairingChallenge> {
    const now_ms = clock.now_ms();
    const agent_address = checksummed(spec.agent_address);
    const base = {
      id: newId("pch", now_ms),
      machine_id: spec.machine_id,
      purpose: spec.purpose,
      pairing_id: spec.pairing_id,
      agent_address,
      agent_did: agentDidOf(agent_address, spec.agent_did),
      agent_provider: spec.agent_provider,
      agent_role: spec.agent_role,
      requester_id: spec.requester_id,
      expires_at_ms: now_ms + deps.ttl_ms,
      consumed_at_ms: null,
      created_at_ms: now_ms,
    };
    const challenge = { ...base, message: messageOf(deps.hub(), base, randomToken(16)) };
    await store.insertChallenge(tx, challenge);
    return challenge;
  }

  /** Checks a proof against its challenge without using it up; returns both. */
  async function verify(
    ex: Executor,
    expected: ProofExpectation,
    input: AgentProofInput | null | undefined,
  ): Promise<{ challenge: PairingChallenge; verification: PairingVerification }> {
    const P = delegationProblems;
    if (!input) throw new Problem(P.AGENT_PAIRING_PROOF_REQUIRED, "send agentProof");
    const invalid = (detail: string) => new Problem(P.AGENT_PAIRING_PROOF_INVALID, detail);
    const c = await store.getChallenge(ex, input.challenge_id);
    if (!c) throw invalid(`no challenge ${input.challenge_id}`);
    if (c.machine_id !== expected.machine_id) throw invalid("the challenge is for another machine");
    if (c.purpose !== expected.purpose) throw invalid(`the challenge is for a ${c.purpose}`);
    if (!sameAddress(c.agent_address, expected.agent_address)) {
      throw invalid(`the challenge is for agent ${c.agent_address}`);
    }
    if (expected.purpose === "pairing" && c.requester_id !== expected.requester_id) {
      throw invalid("the challenge was issued to another caller");
    }
    if (expected.purpose === "session" && c.pairing_id !== expected.pairing_id) {
      throw invalid("the challenge is for another pairing");
    }
    if (c.consumed_at_ms !== null || c.expires_at_ms <= clock.now_ms()) {
      throw new Problem(P.AGENT_PAIRING_PROOF_EXPIRED, "ask for a new challenge and sign it");
    }
    const signer = await recoverPersonalSigner(c.message, input.signature, [c.agent_address]);
    if (!signer || !sameAddress(signer, c.agent_address)) {
      throw invalid(`the signature is not by ${c.agent_address}`);
    }
    const verification: PairingVerification = {
      method: "eip191",
      signer_address: signer,
      challenge_id: c.id,
      verified_at_ms: clock.now_ms(),
      challenge_expires_at_ms: c.expires_at_ms,
    };
    return { challenge: c, verification };
  }

  /** Uses a verified challenge up; a replay or a concurrent second use fails here. */
  async function consume(tx: Executor, challenge_id: string): Promise<void> {
    if (!(await store.consumeChallenge(tx, challenge_id, clock.now_ms()))) {
      throw new Problem(
        delegationProblems.AGENT_PAIRING_PROOF_EXPIRED,
        "this challenge was already used or has expired; ask for a new one",
      );
    }
  }

  return { createChallenge, verify, consume };
}
