import type { Executor } from "../db/db.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { newId, randomToken } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { type ControllerResolver, resolveControllers } from "./controllers.ts";
import { recoverPersonalSigner, sameAddress } from "./eip191.ts";
import { normalIdentityRef } from "./identity-ref.ts";
import type { IdentityChallenge, IdentityProof, Resolution } from "./model.ts";
import { machineProblems } from "./problems.ts";
import * as store from "./store.ts";

/** The signature half of a proof, as a client sends it. */
export interface ProofInput {
  challenge_id: string;
  signature: string;
}

/** The text a controller signs: hub, identity, requester and nonce, in SIWE-like lines. */
function challengeMessage(hub: string, c: Omit<IdentityChallenge, "message">, nonce: string) {
  return [
    `${hub} asks you to prove control of a machine identity.`,
    "",
    `Identity: ${c.identity_ref}`,
    `Principal: ${c.requester_id}`,
    `Challenge: ${c.id}`,
    `Nonce: ${nonce}`,
    `Issued At: ${isoOf(c.created_at_ms)}`,
    `Expiration Time: ${isoOf(c.expires_at_ms)}`,
  ].join("\n");
}

/** Machine identity challenges and their EIP-191 proofs. */
export function createIdentityProofs(deps: {
  clock: Clock;
  hub: () => string;
  resolvers: readonly ControllerResolver[];
  ttl_ms: number;
}) {
  const { clock, resolvers } = deps;

  /** The identity's controllers now. May call out (RPC): keep it outside write transactions. */
  function resolve(ex: Executor, identity_ref: string): Promise<Resolution> {
    return resolveControllers(resolvers, ex, normalIdentityRef(identity_ref));
  }

  /** Stores a single-use challenge for the controllers found by `resolve`. */
  async function createChallenge(
    tx: Executor,
    requester_id: string,
    identity_ref: string,
    resolution: Resolution,
  ): Promise<IdentityChallenge> {
    const now_ms = clock.now_ms();
    const base = {
      id: newId("mch", now_ms),
      identity_ref: normalIdentityRef(identity_ref),
      requester_id,
      controller_addresses: resolution.addresses,
      resolution_source: resolution.source,
      expires_at_ms: now_ms + deps.ttl_ms,
      consumed_at_ms: null,
      created_at_ms: now_ms,
    };
    const challenge = { ...base, message: challengeMessage(deps.hub(), base, randomToken(16)) };
    await store.insertChallenge(tx, challenge);
    return challenge;
  }

  /**
   * Checks a proof against its challenge and the identity's controllers as they are now. Reads
   * only (and may call out), so run it before the write transaction that consumes the challenge.
   */
  async function verifyProof(
    ex: Executor,
    requester_id: string,
    identity_ref: string,
    input: ProofInput | null | undefined,
  ): Promise<IdentityProof> {
    const P = machineProblems;
    if (!input) throw new Problem(P.MACHINE_IDENTITY_PROOF_REQUIRED, "send identityProof");
    const ref = normalIdentityRef(identity_ref);
    const c = await store.getChallenge(ex, input.challenge_id);
    const invalid = (detail: string) => new Problem(P.MACHINE_IDENTITY_PROOF_INVALID, detail);
    if (!c) throw invalid(`no challenge ${input.challenge_id}`);
    if (c.requester_id !== requester_id)
      throw invalid("the challenge was issued to another caller");
    if (c.identity_ref !== ref) throw invalid(`the challenge was issued for ${c.identity_ref}`);
    if (c.consumed_at_ms !== null || c.expires_at_ms <= clock.now_ms()) {
      throw new Problem(P.MACHINE_IDENTITY_PROOF_EXPIRED, "ask for a new challenge and sign it");
    }
    const signer = await recoverPersonalSigner(c.message, input.signature, c.controller_addresses);
    if (!signer) throw invalid("the signature does not recover to an address");
    // Controllers are looked up again: one removed since the challenge was issued is refused.
    const now = await resolveControllers(resolvers, ex, ref);
    if (!now.addresses.some((a) => sameAddress(a, signer))) {
      throw invalid(`${signer} is not a controller of ${ref}`);
    }
    return {
      method: "eip191",
      identity_ref: ref,
      signer_address: signer,
      challenge_id: c.id,
      verified_at_ms: clock.now_ms(),
      challenge_expires_at_ms: c.expires_at_ms,
      controller_addresses: now.addresses,
      resolution_source: now.source,
    };
  }

  /** Uses the proof's challenge up; a replayed or concurrent second use fails here. */
  async function consume(tx: Executor, proof: IdentityProof): Promise<void> {
    if (!(await store.consumeChallenge(tx, proof.challenge_id, clock.now_ms()))) {
      throw new Problem(
        machineProblems.MACHINE_IDENTITY_PROOF_EXPIRED,
        "this challenge was already used or has expired; ask for a new one",
      );
    }
  }

  return { resolve, createChallenge, verifyProof, consume };
}
