import { errors, jwtVerify, SignJWT } from "jose";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import { delegationLimits } from "./limits.ts";
import type { PairingClaims } from "./model.ts";
import { delegationProblems } from "./problems.ts";

/**
 * The HS256 secrets of pairing tokens. Rotation: the new secret becomes `current` and the old one
 * `previous`, accepted (never used to sign) until `accept_until_ms`, normally now + token TTL.
 */
export interface PairingSecrets {
  current: string;
  previous?: { secret: string; accept_until_ms: number } | null;
}

/** `aud` of every pairing token, so no other HS256 token of the hub passes as one. */
export const PAIRING_TOKEN_AUDIENCE = "agx:agent-pairing";

const STRING_CLAIMS = [
  "machineId",
  "pairingId",
  "sessionId",
  "agentAddress",
  "agentDid",
  "delegationPolicyHash",
  "jti",
] as const;

function keyOf(secret: string): Uint8Array {
  assert(
    secret.length >= delegationLimits.pairing_secret_chars_min,
    `a pairing token secret has at least ${delegationLimits.pairing_secret_chars_min} characters`,
  );
  return new TextEncoder().encode(secret);
}

/** Issues and verifies pairing session tokens (HS256 JWT, verified only by this hub). */
export function createPairingTokens(deps: {
  clock: Clock;
  secrets: PairingSecrets;
  issuer: () => string;
}) {
  const current = keyOf(deps.secrets.current);
  const previous = deps.secrets.previous
    ? { key: keyOf(deps.secrets.previous.secret), until: deps.secrets.previous.accept_until_ms }
    : null;

  async function issue(claims: Omit<PairingClaims, "iat">): Promise<string> {
    const { exp, jti, ...rest } = claims;
    return new SignJWT(rest)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(deps.issuer())
      .setAudience(PAIRING_TOKEN_AUDIENCE)
      .setIssuedAt(Math.floor(deps.clock.now_ms() / 1000))
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(current);
  }

  async function verifyWith(token: string, key: Uint8Array) {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: deps.issuer(),
      audience: PAIRING_TOKEN_AUDIENCE,
      currentDate: new Date(deps.clock.now_ms()),
      requiredClaims: ["exp", "iat", "jti"],
    });
    return payload;
  }

  /** The claims of a token this hub signed and that has not expired, or a Problem. */
  async function verify(token: string): Promise<PairingClaims> {
    let payload: Awaited<ReturnType<typeof verifyWith>>;
    try {
      payload = await verifyWith(token, current).catch((error: unknown) => {
        const retry =
          previous !== null &&
          previous.until > deps.clock.now_ms() &&
          error instanceof errors.JWSSignatureVerificationFailed;
        if (retry) return verifyWith(token, previous.key);
        throw error;
      });
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new Problem(delegationProblems.AGENT_PAIRING_TOKEN_EXPIRED, "rotate the session", {
          cause: error,
        });
      }
      throw new Problem(delegationProblems.AGENT_PAIRING_TOKEN_INVALID, "not a token of this hub", {
        cause: error,
      });
    }
    for (const name of STRING_CLAIMS) {
      if (typeof payload[name] !== "string") {
        throw new Problem(delegationProblems.AGENT_PAIRING_TOKEN_INVALID, `claim ${name} missing`);
      }
    }
    return payload as unknown as PairingClaims;
  }

  return { issue, verify };
}

export type PairingTokens = ReturnType<typeof createPairingTokens>;
