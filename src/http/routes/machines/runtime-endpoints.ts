import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import {
  EndpointFields,
  EndpointWire,
  endpointInputOf,
  endpointWire,
  ProviderKey,
} from "./runtime-wire.ts";
import { MachineId, MachineParams, viewerOf } from "./wire.ts";

const Params = Type.Object({ id: MachineId, providerKey: ProviderKey });
const common = { tags: ["machines"], security: [{ apiKey: [] }] };

/** peaq: an owner's view and edits of a machine's runtime endpoints (tokens never echoed). */
export default function runtimeEndpoints(app: App, ctx: MachineRouteContext) {
  app.get(
    "/api/v1/machines/:id/runtime-endpoints",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "List runtime endpoints; those past their lease are unreachable",
        operationId: "listRuntimeEndpoints",
        params: MachineParams,
        response: { 200: Type.Object({ items: Type.Array(EndpointWire) }) },
      },
    },
    async (request) => {
      const m = await ctx.machines.get(ctx.db.kysely, viewerOf(request), request.params.id);
      const rows = await ctx.machines.runtime.listEndpoints(ctx.db.kysely, m.id);
      return { items: rows.map(endpointWire) };
    },
  );
  app.get(
    "/api/v1/machines/:id/runtime-endpoints/:providerKey",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "Read one runtime endpoint",
        operationId: "getRuntimeEndpoint",
        params: Params,
        response: { 200: Type.Object({ item: EndpointWire }) },
      },
    },
    async (request) => {
      const { id, providerKey } = request.params;
      const m = await ctx.machines.get(ctx.db.kysely, viewerOf(request), id);
      return {
        item: endpointWire(
          await ctx.machines.runtime.getEndpoint(ctx.db.kysely, m.id, providerKey),
        ),
      };
    },
  );
  app.put(
    "/api/v1/machines/:id/runtime-endpoints/:providerKey",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Register or replace a runtime endpoint (no lease; authToken stored sealed)",
        operationId: "putRuntimeEndpoint",
        params: Params,
        body: Type.Object(EndpointFields, { additionalProperties: false }),
        response: { 200: Type.Object({ item: EndpointWire }) },
      },
    },
    async (request, reply) => {
      const { id, providerKey } = request.params;
      const m = await ctx.machines.requireBound(ctx.db.kysely, viewerOf(request), id, {
        active: false,
      });
      const input = endpointInputOf(providerKey, request.body);
      return writeTx(ctx, request, reply, 200, async (tx) => ({
        item: endpointWire(await ctx.machines.runtime.putEndpoint(tx, m.id, input)),
      }));
    },
  );
  app.delete(
    "/api/v1/machines/:id/runtime-endpoints/:providerKey",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Remove a runtime endpoint",
        operationId: "deleteRuntimeEndpoint",
        params: Params,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { id, providerKey } = request.params;
      // Removing an endpoint only narrows what the machine offers: ownership is enough.
      const m = await ctx.machines.get(ctx.db.kysely, viewerOf(request), id);
      // writeTx stores the (empty) result for Idempotency-Key replays, so it must be JSON: null.
      return writeTx(ctx, request, reply, 204, async (tx) => {
        await ctx.machines.runtime.deleteEndpoint(tx, m.id, providerKey);
        return null;
      });
    },
  );
}
