import { base64url, compactVerify, errors, importJWK, type JWK } from "jose";
import { type DpopAlgorithm, dpopAlgorithms, dpopLimits } from "./model.ts";
import { dpopProblem, dpopProblems, invalidProof } from "./problems.ts";

/** The parts of a proof's protected header that passed the RFC 9449 §4.3 header checks. */
export interface ProofHeader {
  alg: DpopAlgorithm;
  /** The embedded public key, reduced to its RFC 7638 thumbprint members. */
  jwk: JWK;
}

/** The key type each allowed algorithm needs; EdDSA here means Ed25519 only. */
const keyOfAlg: Record<DpopAlgorithm, { kty: string; crv?: string; members: readonly string[] }> = {
  EdDSA: { kty: "OKP", crv: "Ed25519", members: ["x"] },
  Ed25519: { kty: "OKP", crv: "Ed25519", members: ["x"] },
  ES256: { kty: "EC", crv: "P-256", members: ["x", "y"] },
  ES384: { kty: "EC", crv: "P-384", members: ["x", "y"] },
  PS256: { kty: "RSA", members: ["n", "e"] },
  RS256: { kty: "RSA", members: ["n", "e"] },
};

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

const COMPACT_SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * The one compact JWS in the DPoP header(s). Node joins repeated headers with ", ", and a compact
 * JWS never contains a comma, so a comma also means more than one header (RFC 9449 §4.3 step 1).
 */
export function singleProof(value: string | readonly string[] | undefined): string {
  const values = (typeof value === "string" ? [value] : (value ?? []))
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const [first] = values;
  if (first === undefined) {
    throw dpopProblem(
      dpopProblems.DPOP_PROOF_MISSING,
      null,
      "send a DPoP proof JWT in a DPoP header",
    );
  }
  if (values.length > 1) {
    throw invalidProof("header", `the request has ${values.length} DPoP proofs; send exactly one`);
  }
  if (first.length > dpopLimits.dpop_proof_chars_max) {
    throw invalidProof(
      "header",
      `the DPoP header is longer than ${dpopLimits.dpop_proof_chars_max} characters`,
    );
  }
  return first;
}

/** Decodes and checks the protected header: `typ`, `alg` and a public `jwk` that fits `alg`. */
export function readProofHeader(compact: string): ProofHeader {
  const segments = compact.split(".");
  if (segments.length !== 3 || !segments.every((s) => COMPACT_SEGMENT.test(s))) {
    throw invalidProof("jws", "the DPoP header is not a compact JWS (three base64url segments)");
  }
  const header = decodeJsonObject(segments[0] ?? "");
  if (header === null) {
    throw invalidProof("jws", "the proof's protected header is not a base64url JSON object");
  }
  if (header.typ !== "dpop+jwt") {
    throw invalidProof("typ", `the typ header is ${quote(header.typ)}; it must be "dpop+jwt"`);
  }
  const alg = header.alg;
  if (!isAllowedAlg(alg)) {
    throw invalidProof(
      "alg",
      `the alg header ${quote(alg)} is not allowed; use one of ${dpopAlgorithms.join(", ")}`,
    );
  }
  return { alg, jwk: publicJwkFor(alg, header.jwk) };
}

/**
 * Verifies the signature with the embedded key, for exactly the header's algorithm, and returns
 * the claims. Only after this may anything in the payload be trusted.
 */
export async function verifyProofSignature(
  compact: string,
  header: ProofHeader,
): Promise<Record<string, unknown>> {
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(header.jwk, header.alg);
  } catch {
    throw invalidProof("jwk", `the jwk header is not a usable ${header.jwk.kty} public key`);
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(compact, key, { algorithms: [header.alg] }));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw invalidProof("signature", "the signature does not verify with the jwk in the header");
    }
    // jose's messages describe the token or key ("modulusLength … 2048 bits"), never secrets.
    const reason = error instanceof Error ? error.message : "unusable key or signature";
    throw invalidProof("jws", `the proof could not be verified as a JWS: ${reason}`);
  }
  const claims = decodeJsonObject(payload);
  if (claims === null) throw invalidProof("claims", "the proof's payload is not a JSON object");
  return claims;
}

function isAllowedAlg(alg: unknown): alg is DpopAlgorithm {
  return typeof alg === "string" && (dpopAlgorithms as readonly string[]).includes(alg);
}

/** The thumbprint members of `jwk`, after refusing private keys and keys that do not fit `alg`. */
function publicJwkFor(alg: DpopAlgorithm, jwk: unknown): JWK {
  if (!isObject(jwk)) throw invalidProof("jwk", "the jwk header is missing or not a JSON object");
  const present = privateMembers.filter((m) => jwk[m] !== undefined);
  if (present.length > 0) {
    throw invalidProof(
      "jwk",
      `the jwk header contains private key members (${present.join(", ")}); send the public key`,
    );
  }
  const expected = keyOfAlg[alg];
  if (jwk.kty !== expected.kty || (expected.crv !== undefined && jwk.crv !== expected.crv)) {
    const crv = expected.crv === undefined ? "" : ` and crv ${expected.crv}`;
    throw invalidProof("jwk", `alg ${alg} needs a jwk with kty ${expected.kty}${crv}`);
  }
  const out: Record<string, string> = { kty: expected.kty };
  if (expected.crv !== undefined) out.crv = expected.crv;
  for (const member of expected.members) {
    const value = jwk[member];
    if (typeof value !== "string" || value === "" || !COMPACT_SEGMENT.test(value)) {
      throw invalidProof("jwk", `the jwk header member ${member} is missing or not base64url`);
    }
    out[member] = value;
  }
  return out as JWK;
}

/** A JSON object from bytes or from a base64url segment; null when it is anything else. */
function decodeJsonObject(input: string | Uint8Array): Record<string, unknown> | null {
  try {
    const bytes = typeof input === "string" ? base64url.decode(input) : input;
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Client-sent text for a detail message: JSON-quoted and cut short. */
export function quote(value: unknown): string {
  if (value === undefined) return "missing";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
