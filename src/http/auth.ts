import type { FastifyInstance, FastifyRequest } from "fastify";
import { dpopChallenge } from "../dpop/index.ts";
import { type Caller, type Scope, scopeCovers } from "../identity/index.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import type { AppContext } from "./context.ts";

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

/** Authenticates `Authorization: Bearer sk_agx_…` before the body is even read. */
export function installAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest("caller", null);
  app.addHook("onRequest", async (request) => {
    const access = request.routeOptions.config?.access ?? "public";
    const credential = credentialOf(request);
    if (credential === undefined) {
      if (access === "public") return;
      const agentAllowed = access === "write_or_agent" || access === "read_or_agent";
      if (agentAllowed && request.headers["x-agent-pairing-token"]) return;
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
