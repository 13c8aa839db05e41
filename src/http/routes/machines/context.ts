import type { FastifyReply, FastifyRequest } from "fastify";
import type { Delegation } from "../../../delegation/index.ts";
import type { FlowIo, MachineModules } from "../../../flows/machine-pairing.ts";
import type { Machines } from "../../../machines/index.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";

/** What machine and pairing routes use: the hub's context plus the two modules. */
export type MachineRouteContext = AppContext & { machines: Machines; delegation: Delegation };

/** The modules a flow needs, from the route context. */
export function modulesOf(ctx: MachineRouteContext): MachineModules {
  return {
    machines: ctx.machines,
    delegation: ctx.delegation,
    clock: ctx.clock,
    webhooks: ctx.webhookFlows,
  };
}

/**
 * A flow's reads run outside any transaction (identity re-checks may call out and must persist
 * a block); its writes run in the route's writeTx, so Idempotency-Key replays work.
 */
export function ioOf(
  ctx: MachineRouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
): FlowIo {
  return {
    ex: ctx.db.kysely,
    runTx: (work) => writeTx(ctx, request, reply, status, work),
  };
}
