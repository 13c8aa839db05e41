import type { FastifyRequest } from "fastify";
import type { AppContext } from "../http/context.ts";
import { type Purchaser, pairingTokenOf, purchaserOf } from "../http/purchaser.ts";
import { type Caller, scopeCovers } from "../identity/index.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { orderProblems } from "../orders/index.ts";

/**
 * Who calls /mcp. The same credentials as the REST API:
 * - `key`: `Authorization: Bearer <api key>` — the key's principal buys, its scope applies;
 * - `agent`: `x-agent-pairing-token` — a paired agent buys for its machine's owner, under its
 *   pairing's delegation policy, enforced at spend time like the REST routes;
 * - `anonymous`: no credential — may list and search, and pay a single call with x402
 *   (`_meta["x402/payment"]`); anything that needs an account answers a problem.
 */
export type McpActor =
  | { kind: "key"; caller: Caller }
  | { kind: "agent"; request: FastifyRequest; pairing_id: string; machine_id: string }
  | { kind: "anonymous" };

/**
 * The actor of an /mcp request. A pairing token is verified here (signature, expiry, active
 * pairing and machine) so a bad one is a 401 before any JSON-RPC; the machine's identity proof
 * is re-checked when the agent spends (`buyerOf`).
 */
export async function mcpActorOf(ctx: AppContext, request: FastifyRequest): Promise<McpActor> {
  if (request.caller) return { kind: "key", caller: request.caller };
  if (pairingTokenOf(request) === undefined) return { kind: "anonymous" };
  const p = await purchaserOf(ctx, ctx.db.kysely, request, { recheck: false });
  if (!p.delegated) throw new Error("a pairing token always yields a delegated purchaser");
  return {
    kind: "agent",
    request,
    pairing_id: p.delegated.pairing_id,
    machine_id: p.delegated.machine_id,
  };
}

/** The principal id quotes are made for; anonymous callers get unaddressed quotes. */
export function requesterIdOf(actor: McpActor): string | null {
  if (actor.kind === "key") return actor.caller.principal.id;
  return null;
}

/**
 * Who pays a tool's spend: the key's principal (a write key), or the paired agent's machine
 * owner under its policy (machine identity re-verified). Anonymous callers get PAYMENT_REQUIRED,
 * which tools with x402 terms turn into the x402 MCP transport's PaymentRequired result.
 */
export async function buyerOf(ctx: AppContext, actor: McpActor): Promise<Purchaser> {
  if (actor.kind === "key") {
    requireWrite(actor.caller);
    return { buyer_id: actor.caller.principal.id, actor_id: actor.caller.principal.id };
  }
  if (actor.kind === "agent") {
    return purchaserOf(ctx, ctx.db.kysely, actor.request, { recheck: true });
  }
  throw new Problem(
    orderProblems.PAYMENT_REQUIRED,
    "this tool is paid: send an API key, a pairing token, or an x402 payment in _meta",
  );
}

/** The key holder of a tool that only accounts may use (balances, pipelines), or a problem. */
export function keyCallerOf(actor: McpActor, what: string): Caller {
  if (actor.kind === "key") return actor.caller;
  throw new Problem(
    actor.kind === "agent" ? kernelProblems.FORBIDDEN : kernelProblems.UNAUTHENTICATED,
    `${what} needs an API key`,
  );
}

export function requireWrite(caller: Caller): void {
  if (!scopeCovers(caller.key.scope, "write")) {
    throw new Problem(kernelProblems.FORBIDDEN, "this tool spends money: it needs a write key");
  }
}
