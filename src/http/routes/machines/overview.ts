import { Type } from "@sinclair/typebox";
import { ownerOverview } from "../../../flows/machine-pairing.ts";
import type { App } from "../../app.ts";
import { PairingWire, pairingWire } from "../pairings/wire.ts";
import { type MachineRouteContext, modulesOf } from "./context.ts";
import { MachineWire, machineWire, PageQuery, viewerOf } from "./wire.ts";

/** The owner view: machines with their pairings, policies and what each spent today. */
export default function ownerView(app: App, ctx: MachineRouteContext) {
  app.get(
    "/api/v1/owner/machines",
    {
      config: { access: "read" },
      schema: {
        summary: "Your machines with their agent pairings, policies and spend today",
        tags: ["machines"],
        operationId: "ownerMachines",
        security: [{ apiKey: [] }],
        querystring: PageQuery,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ machine: MachineWire, pairings: Type.Array(PairingWire) }),
            ),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await ownerOverview(
        modulesOf(ctx),
        ctx.db.kysely,
        viewerOf(request),
        request.query.cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((r) => ({
          machine: machineWire(r.machine),
          pairings: r.pairings.map((v) => pairingWire(ctx, v)),
        })),
        nextCursor: rows.length > limit ? (page.at(-1)?.machine.id ?? null) : null,
      };
    },
  );
}
