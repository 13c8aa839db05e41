import type { FastifyInstance, FastifyRequest } from "fastify";
import { dpopChallenge } from "../dpop/index.ts";
import { type Caller, type Scope, scopeCovers } from "../identity/index.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { csrfTokenMatches, type Session, type Sessions } from "../sessions/index.ts";
import type { AppContext } from "./context.ts";
import { CSRF_HEADER, clearedCookie, isSecure, sessionTokenOf } from "./routes/session/cookies.ts";

/**
 * Who may call a route: anyone, a key of a scope, or (`write_or_agent`, `read_or_agent`) a key
 * of that scope or a paired agent's `x-agent-pairing-token`, which the route verifies itself
 * (http/purchaser.ts).
 */
export type RouteAccess = "public" | Scope | "write_or_agent" | "read_or_agent";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    caller: Caller | null;
    /** The console session the caller came with (cookie), when it did. */
    consoleSession: Session | null;
  }
}

/** The credential of `Authorization: Bearer|DPoP <key>`; null when the header is malformed. */
function credentialOf(
  request: FastifyRequest,
): { scheme: "bearer" | "dpop"; token: string } | null | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^(Bearer|DPoP)\s+(\S+)\s*$/i.exec(header);
  if (!match?.[2]) return null;
  return { scheme: match[1]?.toLowerCase() === "dpop" ? "dpop" : "bearer", token: match[2] };
}

const challenge = 'Bearer realm="agx"';

/**
 * Authenticates `Authorization: Bearer sk_agx_…` before the body is even read; without it, a
 * console session cookie (given `sessions`), whose state-changing requests need the CSRF token.
 */
export function installAuth(app: FastifyInstance, ctx: AppContext, sessions?: Sessions): void {
  app.decorateRequest("caller", null);
  app.decorateRequest("consoleSession", null);
  app.addHook("onRequest", async (request) => {
    const access = request.routeOptions.config?.access ?? "public";
    const credential = credentialOf(request);
    if (credential === undefined) {
      const agentAllowed = access === "write_or_agent" || access === "read_or_agent";
      const agentToken = Boolean(request.headers["x-agent-pairing-token"]);
      if (sessions && !agentToken && (await authenticateSession(ctx, sessions, request, access))) {
        return;
      }
      if (access === "public") return;
      if (agentAllowed && agentToken) return;
      throw new Problem(kernelProblems.UNAUTHENTICATED, "send Authorization: Bearer <api key>", {
        headers: { "www-authenticate": challenge },
      });
    }
    const caller =
      credential === null ? null : await ctx.identity.authenticate(ctx.db.kysely, credential.token);
    if (!caller || !credential) {
      throw new Problem(kernelProblems.UNAUTHENTICATED, "the API key is unknown or revoked", {
        headers: { "www-authenticate": `${challenge}, error="invalid_token"` },
      });
    }
    await checkDpopBinding(ctx, request, caller, credential);
    request.caller = caller;
    const needed =
      access === "write_or_agent" ? "write" : access === "read_or_agent" ? "read" : access;
    if (needed !== "public" && !scopeCovers(caller.key.scope, needed)) {
      throw new Problem(
        kernelProblems.FORBIDDEN,
        `this route needs a ${needed} key; this key has ${caller.key.scope}`,
        { headers: { "www-authenticate": `${challenge}, error="insufficient_scope"` } },
      );
    }
  });
}

/** Unsafe methods: what a cross-site form or script could send with the cookie attached. */
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Authenticates by the console session cookie; true when the request now has a caller. A dead
 * session on a public route is ignored (anonymous); elsewhere it is SESSION_INVALID and the cookie
 * is cleared. A state-changing request must carry the session's CSRF token and, when the browser
 * says where it comes from, this origin; on a public route a request without them is anonymous.
 */
async function authenticateSession(
  ctx: AppContext,
  sessions: Sessions,
  request: FastifyRequest,
  access: RouteAccess,
): Promise<boolean> {
  const token = sessionTokenOf(request);
  if (token === undefined) return false;
  const found = await sessions.authenticate(ctx.db.kysely, token);
  if (!found) {
    if (access === "public") return false;
    throw new Problem(kernelProblems.SESSION_INVALID, "sign in again", {
      headers: { "set-cookie": clearedCookie(isSecure(ctx, request)) },
    });
  }
  if (UNSAFE.has(request.method) && !sameOriginWithToken(request, token)) {
    if (access === "public") return false;
    throw new Problem(
      kernelProblems.CSRF_TOKEN_INVALID,
      `send the session's CSRF token as ${CSRF_HEADER}, from this origin`,
    );
  }
  request.caller = found.caller;
  request.consoleSession = found.session;
  const needed =
    access === "write_or_agent" ? "write" : access === "read_or_agent" ? "read" : access;
  if (needed !== "public" && !scopeCovers(found.session.scope, needed)) {
    throw new Problem(
      kernelProblems.FORBIDDEN,
      `this route needs ${needed} access; this session has ${found.session.scope}`,
    );
  }
  return true;
}

function sameOriginWithToken(request: FastifyRequest, token: string): boolean {
  const header = request.headers[CSRF_HEADER];
  if (!csrfTokenMatches(token, typeof header === "string" ? header : undefined)) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}

/**
 * RFC 9449: a key bound to a DPoP key (`cnf.jkt`) is accepted only as `Authorization: DPoP` with
 * a fresh proof of that key for this method and URL; an unbound key is never accepted as DPoP.
 * Proof jtis are recorded outside any request transaction, so a rolled-back request cannot make
 * its proof reusable.
 */
async function checkDpopBinding(
  ctx: AppContext,
  request: FastifyRequest,
  caller: Caller,
  credential: { scheme: "bearer" | "dpop"; token: string },
): Promise<void> {
  const bound = caller.key.dpop_jkt;
  if (bound === null && credential.scheme === "bearer") return;
  if (bound === null) {
    throw new Problem(kernelProblems.UNAUTHENTICATED, "this key is not bound to a DPoP key", {
      headers: { "www-authenticate": `${challenge}, error="invalid_token"` },
    });
  }
  if (credential.scheme !== "dpop") {
    throw new Problem(
      kernelProblems.UNAUTHENTICATED,
      "this key is DPoP-bound: send Authorization: DPoP",
      {
        headers: { "www-authenticate": dpopChallenge("invalid_token") },
      },
    );
  }
  await ctx.dpop.verifyProof(ctx.db.kysely, {
    proof: request.headers.dpop,
    method: request.method,
    url: `${request.protocol}://${request.host}${request.url}`,
    accessToken: credential.token,
    expectedJkt: bound,
    requireNonce: ctx.config.dpop_require_nonce,
  });
}

/** The authenticated caller; routes with access other than `public` always have one. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Problem(kernelProblems.UNAUTHENTICATED, "authentication required");
  return request.caller;
}
