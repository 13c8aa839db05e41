import type { FastifyRequest } from "fastify";
import { decodeJwt } from "jose";
import type { Executor } from "../db/db.ts";
import { delegationProblems } from "../delegation/index.ts";
import { authenticateAgent } from "../flows/machine-pairing.ts";
import type { Delegated } from "../flows/purchase.ts";
import { Problem } from "../kernel/problem.ts";
import { callerOf } from "./auth.ts";
import type { AppContext } from "./context.ts";

/** The pairing token header (peaq); never logged (see kernel/logger.ts redactions). */
export const PAIRING_TOKEN_HEADER = "x-agent-pairing-token";

/** Who buys: a principal with a write key, or a paired agent spending its machine's funds. */
export interface Purchaser {
  /** Whose money moves: the caller, or the owner of the agent's machine. */
  buyer_id: string;
  /** Who acted, for the audit trail: the principal, or `pairing:<id>`. */
  actor_id: string;
  /** Set for paired agents: the policy that binds this purchase and the pairing that spends. */
  delegated?: Delegated & { machine_id: string };
}

/** The raw pairing token of a request, if it sent exactly one. */
export function pairingTokenOf(request: FastifyRequest): string | undefined {
  const raw = request.headers[PAIRING_TOKEN_HEADER];
  return typeof raw === "string" ? raw.trim() : undefined;
}

/**
 * The purchaser of a request on a `write_or_agent` route. A pairing token wins over a key: the
 * agent acts for its machine, under its pairing's policy, and the owner's funds pay. The token is
 * verified in full (signature, expiry, active pairing, current session and policy, active
 * machine); `recheck` also re-verifies the machine's identity proof (do it outside transactions).
 */
export async function purchaserOf(
  ctx: AppContext,
  ex: Executor,
  request: FastifyRequest,
  options: { recheck: boolean },
): Promise<Purchaser> {
  const token = pairingTokenOf(request);
  if (token === undefined) {
    const caller = callerOf(request);
    return { buyer_id: caller.principal.id, actor_id: caller.principal.id };
  }
  const machine_id = machineIdOf(token);
  const session = await authenticateAgent(
    { machines: ctx.machines, delegation: ctx.delegation, clock: ctx.clock },
    ex,
    token,
    machine_id,
    options,
  );
  return {
    buyer_id: session.machine.owner_id,
    actor_id: `pairing:${session.pairing.id}`,
    delegated: {
      pairing_id: session.pairing.id,
      policy: session.pairing.policy,
      machine_id: session.machine.id,
    },
  };
}

/**
 * Who acted on an order on a `write_or_agent` route, for audit rows: the principal, or
 * `pairing:<id>` for the paired agent that orderFor already matched to the order's pairing.
 */
export function actorIdOf(request: FastifyRequest, order: { pairing_id: string | null }): string {
  if (request.caller) return request.caller.principal.id;
  return `pairing:${order.pairing_id}`;
}

/** The machine a token names, read before verification only to know what to verify against. */
function machineIdOf(token: string): string {
  try {
    const claims = decodeJwt(token);
    if (typeof claims.machineId === "string") return claims.machineId;
  } catch {
    // reported below
  }
  throw new Problem(
    delegationProblems.AGENT_PAIRING_TOKEN_INVALID,
    "the pairing token is not a token this hub issued",
  );
}
