import { Type } from "@sinclair/typebox";
import { machineLimits } from "../../../machines/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import { EvmAddress, IdentityRef } from "./wire.ts";

const EntryWire = Type.Object({
  identityRef: Type.String(),
  controllerAddresses: Type.Array(Type.String()),
});

/**
 * The operator's controller registry: which EVM addresses control a `did:peaq:…` or
 * `peaqos:machine:<id>` identity (e.g. copied from peaqOS MCR data). An empty list removes it.
 */
export default function controllerRegistry(app: App, ctx: MachineRouteContext) {
  app.put(
    "/api/v1/admin/machine-controllers",
    {
      config: { access: "admin" },
      schema: {
        summary: "Set the controllers of an identity in the operator registry (operator)",
        tags: ["admin", "machines"],
        operationId: "setMachineControllers",
        security: [{ apiKey: [] }],
        body: Type.Object(
          {
            identityRef: IdentityRef,
            controllerAddresses: Type.Array(EvmAddress, {
              maxItems: machineLimits.controller_addresses_max,
              uniqueItems: true,
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ item: EntryWire }) },
      },
    },
    async (request, reply) => {
      const actor = callerOf(request).principal.id;
      const b = request.body;
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const entry = await ctx.machines.setRegistryControllers(
          tx,
          actor,
          b.identityRef,
          b.controllerAddresses as `0x${string}`[],
        );
        return {
          item: { identityRef: entry.identity_ref, controllerAddresses: entry.addresses },
        };
      });
    },
  );
  app.get(
    "/api/v1/admin/machine-controllers",
    {
      config: { access: "admin" },
      schema: {
        summary: "List the operator registry of machine controllers (operator)",
        tags: ["admin", "machines"],
        operationId: "listMachineControllers",
        security: [{ apiKey: [] }],
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(EntryWire),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await ctx.machines.listRegistry(
        ctx.db.kysely,
        request.query.cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((e) => ({ identityRef: e.identity_ref, controllerAddresses: e.addresses })),
        nextCursor: rows.length > limit ? (page.at(-1)?.identity_ref ?? null) : null,
      };
    },
  );
}
