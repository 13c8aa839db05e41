import { Type } from "@sinclair/typebox";
import { HUB_VIEWER, machineLimits } from "../../../machines/index.ts";
import type { App } from "../../app.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import {
  AgentWire,
  agentWire,
  EndpointFields,
  EndpointWire,
  endpointInputOf,
  endpointWire,
  ProviderKey,
} from "./runtime-wire.ts";
import { MachineParams, viewerOf } from "./wire.ts";

const Heartbeat = Type.Object(
  {
    endpoints: Type.Array(
      Type.Object({ providerKey: ProviderKey, ...EndpointFields }, { additionalProperties: false }),
      { maxItems: machineLimits.runtime_endpoints_per_machine_max },
    ),
  },
  { additionalProperties: false },
);

/** peaq: enrol a machine-side runtime agent, and its heartbeats that lease endpoints. */
export default function runtimeAgents(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/machines/:id/agents/enrollment",
    {
      config: { access: "write" },
      schema: {
        summary: "Enrol a machine-side runtime agent; its token is shown once",
        tags: ["machines"],
        operationId: "enrollMachineAgent",
        security: [{ apiKey: [] }],
        params: MachineParams,
        response: {
          201: Type.Object({
            item: AgentWire,
            agentToken: Type.String({ description: "Send as x-machine-agent-token; shown once" }),
          }),
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const m = await ctx.machines.requireBound(ctx.db.kysely, viewerOf(request), id, {
        active: false,
      });
      return writeTx(ctx, request, reply, 201, async (tx) => {
        const { agent, token } = await ctx.machines.runtime.enrol(tx, m.id);
        return { item: agentWire(agent), agentToken: token };
      });
    },
  );
  app.post(
    "/api/v1/machine-agents/heartbeat",
    {
      config: { access: "public" },
      schema: {
        summary: "A runtime agent's heartbeat: upserts its endpoints with a lease",
        tags: ["machines"],
        operationId: "machineAgentHeartbeat",
        headers: Type.Object({ "x-machine-agent-token": Type.Optional(Type.String()) }),
        body: Heartbeat,
        response: {
          200: Type.Object({
            item: Type.Intersect([
              AgentWire,
              Type.Object({ leaseExpiresAt: Type.String(), endpoints: Type.Array(EndpointWire) }),
            ]),
          }),
        },
      },
    },
    async (request, reply) => {
      const token = request.headers["x-machine-agent-token"];
      const agent = await ctx.machines.runtime.authenticate(ctx.db.kysely, token);
      // A heartbeat is a machine-bound write: a machine whose controller changed is refused.
      await ctx.machines.requireBound(ctx.db.kysely, HUB_VIEWER, agent.machine_id, {
        active: false,
      });
      const inputs = request.body.endpoints.map((e) => endpointInputOf(e.providerKey, e));
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const beat = await ctx.machines.runtime.heartbeat(tx, agent, inputs);
        return {
          item: {
            ...agentWire(beat.agent),
            leaseExpiresAt: new Date(beat.lease_expires_at_ms).toISOString(),
            endpoints: beat.endpoints.map(endpointWire),
          },
        };
      });
    },
  );
}
