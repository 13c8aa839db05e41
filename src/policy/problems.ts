import { defineProblems, Problem } from "../kernel/problem.ts";
import type { PeacTxtFailure, PolicyDocumentProblemCode } from "./model.ts";

/** Problems raised while reading, validating or fetching a peac.txt policy. */
export const policyProblems = defineProblems({
  POLICY_INVALID: { status: 400, title: "The peac.txt policy is not valid" },
  POLICY_TOO_LARGE: { status: 413, title: "The peac.txt policy exceeds a size limit" },
  POLICY_YAML_UNSAFE: {
    status: 400,
    title: "The peac.txt policy uses YAML features that are not allowed",
  },
  POLICY_MULTI_DOCUMENT: {
    status: 400,
    title: "The peac.txt policy holds more than one YAML document",
  },
  POLICY_NOT_FOUND: { status: 404, title: "No peac.txt policy was found" },
  POLICY_FETCH_FAILED: { status: 502, title: "The peac.txt policy could not be fetched" },
  POLICY_FETCH_TIMEOUT: { status: 504, title: "Fetching the peac.txt policy took too long" },
  POLICY_URL_BLOCKED: { status: 403, title: "The peac.txt URL may not be fetched" },
  POLICY_INSECURE_SCHEME: { status: 403, title: "The peac.txt URL must use https" },
});

/** A code of the policy catalogue. */
export type PolicyProblemCode = keyof typeof policyProblems;

/**
 * The upstream PEAC name (`specs/kernel/errors.json`, PEAC-TXT.md) of each code. Both travel
 * together: ours in `code`, upstream's in the `upstream_code` extension.
 */
export const upstreamPolicyErrors = {
  POLICY_INVALID: "E_POLICY_INVALID",
  POLICY_TOO_LARGE: "E_POLICY_TOO_LARGE",
  POLICY_YAML_UNSAFE: "E_POLICY_YAML_INJECTION",
  POLICY_MULTI_DOCUMENT: "E_POLICY_MULTI_DOCUMENT",
  POLICY_NOT_FOUND: "E_POLICY_NOT_FOUND",
  POLICY_FETCH_FAILED: "E_POLICY_FETCH_FAILED",
  POLICY_FETCH_TIMEOUT: "E_POLICY_TIMEOUT",
  POLICY_URL_BLOCKED: "E_POLICY_SSRF_BLOCKED",
  POLICY_INSECURE_SCHEME: "E_POLICY_INSECURE_SCHEME",
} as const satisfies Record<PolicyProblemCode, string>;

/** An upstream PEAC policy error name. */
export type UpstreamPolicyError = (typeof upstreamPolicyErrors)[PolicyProblemCode];

/** Builds a policy Problem whose body shows both our code and the upstream name. */
export function policyProblem(
  code: PolicyProblemCode,
  detail: string,
  options: { pointer?: string; cause?: unknown } = {},
): Problem {
  return new Problem(policyProblems[code], detail, {
    extensions: { upstream_code: upstreamPolicyErrors[code] },
    ...(options.pointer === undefined ? {} : { errors: [{ pointer: options.pointer, detail }] }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** A rejected document, carrying both names of its code. */
export function policyFailure(
  code: PolicyDocumentProblemCode,
  message: string,
  pointer?: string,
): PeacTxtFailure {
  const failure: PeacTxtFailure = {
    ok: false,
    code,
    upstream_code: upstreamPolicyErrors[code],
    message,
  };
  if (pointer !== undefined) failure.pointer = pointer;
  return failure;
}

/** The Problem to answer with when a document was rejected. */
export function problemOfFailure(failure: PeacTxtFailure): Problem {
  return policyProblem(
    failure.code,
    failure.message,
    failure.pointer === undefined ? {} : { pointer: failure.pointer },
  );
}
