import { defineProblems, Problem, type ProblemSpec } from "../kernel/problem.ts";
import { type DpopCheck, dpopAlgorithms } from "./model.ts";

/** Problems raised by the DPoP proof verifier. All are 401 with a `WWW-Authenticate: DPoP`. */
export const dpopProblems = defineProblems({
  DPOP_PROOF_MISSING: { status: 401, title: "A DPoP proof is required" },
  DPOP_PROOF_INVALID: { status: 401, title: "The DPoP proof is not valid" },
  DPOP_PROOF_REPLAYED: { status: 401, title: "The DPoP proof was already used" },
  DPOP_NONCE_REQUIRED: { status: 401, title: "The DPoP proof needs a fresh server nonce" },
  DPOP_KEY_MISMATCH: {
    status: 401,
    title: "The DPoP proof key is not the key the credential is bound to",
  },
});

type DpopProblemCode = keyof typeof dpopProblems;

/**
 * Per code: the RFC 9449 `error` of the challenge and the PEAC error name. A key that does not
 * match the token's binding is an invalid token, not an invalid proof (RFC 9449 §7.1, figure 16).
 */
const wire: Record<DpopProblemCode, { error: string; peac_code: string }> = {
  DPOP_PROOF_MISSING: { error: "invalid_dpop_proof", peac_code: "E_DPOP_INVALID" },
  DPOP_PROOF_INVALID: { error: "invalid_dpop_proof", peac_code: "E_DPOP_INVALID" },
  DPOP_PROOF_REPLAYED: { error: "invalid_dpop_proof", peac_code: "E_DPOP_REPLAY" },
  DPOP_NONCE_REQUIRED: { error: "use_dpop_nonce", peac_code: "E_DPOP_INVALID" },
  DPOP_KEY_MISMATCH: { error: "invalid_token", peac_code: "E_DPOP_INVALID" },
};

/**
 * A `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1). `algs` tells a client which keys to use;
 * the description is a fixed title, never request data, so it needs no escaping.
 */
export function dpopChallenge(error?: string, description?: string): string {
  const parts = ['DPoP realm="agx"'];
  if (error !== undefined) parts.push(`error="${error}"`);
  if (description !== undefined) parts.push(`error_description="${description}"`);
  parts.push(`algs="${dpopAlgorithms.join(" ")}"`);
  return parts.join(", ");
}

/** Builds a DPoP problem with its challenge header, PEAC code and failing check. */
export function dpopProblem(
  spec: ProblemSpec & { code: DpopProblemCode },
  check: DpopCheck | null,
  detail: string,
  headers: Record<string, string> = {},
): Problem {
  const { error, peac_code } = wire[spec.code];
  return new Problem(spec, detail, {
    extensions: check === null ? { peac_code } : { peac_code, dpop_check: check },
    headers: { "www-authenticate": dpopChallenge(error, spec.title), ...headers },
  });
}

/** Shorthand for the most common refusal: DPOP_PROOF_INVALID naming the failed check. */
export function invalidProof(check: DpopCheck, detail: string): Problem {
  return dpopProblem(dpopProblems.DPOP_PROOF_INVALID, check, detail);
}
