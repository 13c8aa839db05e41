import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Executor } from "../db/db.ts";
import type { ApiKey, Caller, Identity, Principal } from "../identity/index.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId, randomToken } from "../kernel/ids.ts";
import { sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { sessionLimits } from "./limits.ts";
import type { IssuedSession, Session, SignInNonce } from "./model.ts";
import { sessionProblems } from "./problems.ts";
import { parseSignIn, verifySignIn } from "./siwe.ts";
import * as store from "./store.ts";

/** Session cookie tokens start with this, so secret scanners can find leaked ones. */
export const SESSION_TOKEN_PREFIX = "agxs_";
const CSRF_CONTEXT = "agx console csrf v1";
const STATEMENT = "Sign in to the agx console.";

/** Where a nonce's message must point: the console's host and origin, and the chain. */
export interface SignInAudience {
  domain: string;
  uri: string;
  chain_id: number;
}

/**
 * Console sign-in: SIWE nonces, sessions behind an httpOnly cookie, and the CSRF token bound to
 * each session. Wallets that sign in for the first time get a `human` principal of their own.
 */
export function createSessions(deps: { clock: Clock; identity: Identity }) {
  const { clock, identity } = deps;

  /** Issues a single-use nonce for a message to `audience`; purges a batch of expired rows. */
  async function issueNonce(ex: Executor, audience: SignInAudience): Promise<SignInNonce> {
    const now_ms = clock.now_ms();
    await store.purgeExpired(ex, now_ms, sessionLimits.purge_batch_max);
    const nonce: SignInNonce = {
      nonce: randomBytes(sessionLimits.nonce_random_bytes).toString("hex"),
      domain: audience.domain,
      uri: audience.uri,
      chain_id: audience.chain_id,
      statement: STATEMENT,
      issued_at_ms: now_ms,
      expires_at_ms: now_ms + sessionLimits.nonce_ttl_ms,
      consumed_at_ms: null,
    };
    await store.insertNonce(ex, nonce);
    return nonce;
  }

  /**
   * Step one of a SIWE sign-in, run in its own statement before anything else: consumes the
   * message's nonce, so a failed or repeated attempt can never use it again.
   */
  async function claimNonce(ex: Executor, message: string) {
    const parsed = parseSignIn(message);
    const nonce = await store.consumeNonce(ex, parsed.nonce, clock.now_ms());
    if (!nonce) {
      throw new Problem(sessionProblems.SIWE_NONCE_INVALID, "ask for a new nonce and sign again");
    }
    return { parsed, nonce };
  }

  /** Step two: verifies the signed message and opens a session for its wallet's principal. */
  async function signInWithSiwe(
    tx: Executor,
    claimed: Awaited<ReturnType<typeof claimNonce>>,
    input: { message: string; signature: string },
  ): Promise<IssuedSession & { principal: Principal }> {
    const { parsed, nonce } = claimed;
    const now_ms = clock.now_ms();
    const address = await verifySignIn(input.message, parsed, nonce, input.signature, now_ms);
    const principal = await principalOfWallet(tx, address);
    if (principal.status !== "active") {
      throw new Problem(kernelProblems.FORBIDDEN, "this principal is suspended");
    }
    const issued = await open(tx, principal.id, { method: "siwe", address, key_id: null }, "write");
    return { ...issued, principal };
  }

  /** The principal a wallet acts as: linked at its first sign-in, the same ever after. */
  async function principalOfWallet(tx: Executor, address: string): Promise<Principal> {
    const linked = await store.principalOfWallet(tx, address);
    if (linked) {
      const p = await identity.getPrincipal(tx, linked);
      if (p) return p;
    }
    // A random tail, so nobody can squat the handle a wallet would get and block its sign-in.
    const handle = `w-${address.slice(2, 10).toLowerCase()}-${randomBytes(3).toString("hex")}`;
    const principal = await identity.createPrincipal(tx, {
      kind: "human",
      handle,
      display_name: `${address.slice(0, 6)}…${address.slice(-4)}`,
    });
    if (!(await store.insertWallet(tx, address, principal.id, clock.now_ms()))) {
      throw new Problem(kernelProblems.CONFLICT, "this wallet signed in concurrently; try again");
    }
    return principal;
  }

  /**
   * Exchanges an API key for a session of its scope (operators in a browser). DPoP-bound keys
   * are refused: a cookie would drop their proof of possession.
   */
  async function signInWithKey(tx: Executor, secret: string) {
    const caller = await identity.authenticate(tx, secret);
    if (!caller) {
      throw new Problem(kernelProblems.UNAUTHENTICATED, "the API key is unknown or revoked");
    }
    if (caller.key.dpop_jkt !== null) {
      throw new Problem(kernelProblems.FORBIDDEN, "a DPoP-bound key cannot open a cookie session");
    }
    const how = { method: "api_key", address: null, key_id: caller.key.id } as const;
    const issued = await open(tx, caller.principal.id, how, caller.key.scope);
    return { ...issued, principal: caller.principal };
  }

  async function open(
    tx: Executor,
    principal_id: string,
    how: Pick<Session, "method" | "address" | "key_id">,
    scope: Session["scope"],
  ): Promise<IssuedSession> {
    const now_ms = clock.now_ms();
    const token = SESSION_TOKEN_PREFIX + randomToken(sessionLimits.session_token_random_bytes);
    const session: Session = {
      id: newId("ses", now_ms),
      principal_id,
      ...how,
      scope,
      created_at_ms: now_ms,
      expires_at_ms: now_ms + sessionLimits.session_ttl_ms,
      revoked_at_ms: null,
    };
    await store.insertSession(tx, session, sha256Hex(token));
    return { session, token };
  }

  /** The caller a session token stands for, or null (unknown, expired, signed out, suspended). */
  async function authenticate(
    ex: Executor,
    token: string,
  ): Promise<{ caller: Caller; session: Session } | null> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 128) return null;
    const session = await store.liveSession(ex, sha256Hex(token), clock.now_ms());
    if (!session) return null;
    const principal = await identity.getPrincipal(ex, session.principal_id);
    if (principal?.status !== "active") return null;
    if (session.key_id !== null) {
      const keys = await identity.keysOf(ex, session.principal_id);
      if (!keys.some((k) => k.id === session.key_id && k.revoked_at_ms === null)) return null;
    }
    return { caller: { principal, key: keyOf(session) }, session };
  }

  return {
    issueNonce,
    claimNonce,
    signInWithSiwe,
    signInWithKey,
    authenticate,
    signOut: (ex: Executor, id: string) => store.revokeSession(ex, id, clock.now_ms()),
    purgeExpired: (ex: Executor, limit: number) => store.purgeExpired(ex, clock.now_ms(), limit),
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** Routes see a session caller as a key of the session's scope; its id is the session's. */
function keyOf(s: Session): ApiKey {
  return {
    id: s.id,
    principal_id: s.principal_id,
    prefix: "session",
    scope: s.scope,
    label: s.method === "siwe" ? "console session (wallet)" : "console session (API key)",
    created_at_ms: s.created_at_ms,
    last_used_at_ms: null,
    revoked_at_ms: null,
    dpop_jkt: null,
  };
}

/** The CSRF token of a session token: derived, so it needs no storage and dies with it. */
export function csrfTokenOf(session_token: string): string {
  return createHmac("sha256", session_token).update(CSRF_CONTEXT).digest("base64url");
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfTokenMatches(session_token: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const want = Buffer.from(csrfTokenOf(session_token));
  const got = Buffer.from(presented);
  return want.length === got.length && timingSafeEqual(want, got);
}
