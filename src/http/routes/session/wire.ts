import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { isoOf } from "../../../kernel/clock.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { Session, Sessions, SignInAudience } from "../../../sessions/index.ts";
import { sessionLimits } from "../../../sessions/index.ts";
import type { AppContext } from "../../context.ts";

/** What session routes use: the hub's context plus the session service. */
export type SessionRouteContext = AppContext & { sessions: Sessions };

export const SessionWire = Type.Object({
  id: Type.String(),
  method: Type.Union([Type.Literal("siwe"), Type.Literal("api_key")]),
  address: Type.Union([Type.String(), Type.Null()]),
  scope: Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")]),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});

export const sessionWire = (s: Session) => ({
  id: s.id,
  method: s.method,
  address: s.address,
  scope: s.scope,
  createdAt: isoOf(s.created_at_ms),
  expiresAt: isoOf(s.expires_at_ms),
});

/**
 * Where a SIWE message must point. In production the configured public URL (a Host header is
 * the client's to choose); elsewhere the host the browser used, so localhost and 127.0.0.1 work.
 */
export function audienceOf(
  ctx: AppContext,
  request: FastifyRequest,
  chain_id: number,
): SignInAudience {
  if (ctx.config.env === "production") {
    const url = new URL(ctx.publicUrl());
    return { domain: url.host, uri: url.origin, chain_id };
  }
  return { domain: request.host, uri: `${request.protocol}://${request.host}`, chain_id };
}

/** Sign-in attempts are rate-limited per source address. */
export async function limitSignIns(
  ctx: AppContext,
  request: FastifyRequest,
  what: "nonce" | "signin",
): Promise<void> {
  const max =
    what === "nonce"
      ? sessionLimits.nonces_per_ip_per_window_max
      : sessionLimits.signins_per_ip_per_window_max;
  const decision = await ctx.ratelimit.hit(ctx.db.kysely, {
    bucket: `session-${what}:${request.ip}`,
    window_ms: sessionLimits.rate_window_ms,
    max,
  });
  if (!decision.allowed) {
    throw new Problem(kernelProblems.RATE_LIMITED, `at most ${max} per minute per address`, {
      headers: { "retry-after": String(Math.ceil(decision.retry_after_ms / 1000)) },
    });
  }
}
