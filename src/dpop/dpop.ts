import { calculateJwkThumbprint } from "jose";
import type { Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { checkProofClaims } from "./claims.ts";
import { readProofHeader, singleProof, verifyProofSignature } from "./jws.ts";
import { dpopLimits, type ProofInput, type VerifiedProof } from "./model.ts";
import { createNonces, type DpopNonces } from "./nonce.ts";
import { dpopProblem, dpopProblems } from "./problems.ts";
import * as store from "./store.ts";

export interface DpopDeps {
  clock: Clock;
  /** Server secret for stateless nonces: at least 32 bytes, the same on every process. */
  nonce_secret: string;
}

/** The DPoP proof verifier with its replay cache and nonces; see model.ts for the semantics. */
export function createDpop(deps: DpopDeps) {
  const { clock } = deps;
  const nonces = createNonces(clock, deps.nonce_secret);

  /**
   * Checks a DPoP proof against the request (RFC 9449 §4.3) and records its jti, or throws a
   * DPOP_* Problem whose headers carry the challenge (and a fresh `DPoP-Nonce` when one is due).
   */
  async function verifyProof(ex: Executor, input: ProofInput): Promise<VerifiedProof> {
    const compact = singleProof(input.proof);
    const header = readProofHeader(compact);
    const claims = await verifyProofSignature(compact, header);
    const now_ms = clock.now_ms();
    const { jti, iat } = checkProofClaims(claims, input, now_ms);
    if (input.requireNonce === true) checkNonce(nonces, claims.nonce);
    const jkt = await calculateJwkThumbprint(header.jwk, "sha256");
    if (input.expectedJkt !== undefined && jkt !== input.expectedJkt) {
      throw dpopProblem(
        dpopProblems.DPOP_KEY_MISMATCH,
        "jkt",
        "the proof's jwk thumbprint is not the one the credential is bound to (cnf.jkt)",
      );
    }
    // Remembered until the proof is too old to pass checkProofClaims, and not a moment longer.
    const expires_at_ms = Math.ceil(iat * 1000) + dpopLimits.dpop_proof_age_ms_max;
    if (!(await store.recordJti(ex, { jkt, jti, expires_at_ms }, now_ms))) {
      throw dpopProblem(
        dpopProblems.DPOP_PROOF_REPLAYED,
        "jti",
        "a proof with this jti was already accepted for this key; sign a new proof per request",
      );
    }
    return { jkt, jwk: header.jwk, jti, iat };
  }

  /** A fresh nonce for a `DPoP-Nonce` response header. */
  function issueNonce(): string {
    return nonces.issue();
  }

  /** Deletes up to `limit` jti rows of proofs too old to be accepted again; returns how many. */
  async function purgeExpired(
    ex: Executor,
    limit: number = dpopLimits.dpop_purge_batch_max,
  ): Promise<number> {
    assert(Number.isInteger(limit) && limit > 0, "purge limit must be a positive integer");
    return store.purgeExpired(ex, clock.now_ms(), limit);
  }

  return { verifyProof, issueNonce, purgeExpired };
}

export type Dpop = ReturnType<typeof createDpop>;

/** RFC 9449 §8/§9: a missing or stale nonce is answered with `use_dpop_nonce` and a fresh one. */
function checkNonce(nonces: DpopNonces, nonce: unknown): void {
  if (nonces.isCurrent(nonce)) return;
  const detail =
    nonce === undefined
      ? "the proof has no nonce claim; sign a new proof with the nonce in the DPoP-Nonce header"
      : "the nonce claim is not a current nonce of this server; " +
        "sign a new proof with the nonce in the DPoP-Nonce header";
  throw dpopProblem(dpopProblems.DPOP_NONCE_REQUIRED, "nonce", detail, {
    "dpop-nonce": nonces.issue(),
  });
}
