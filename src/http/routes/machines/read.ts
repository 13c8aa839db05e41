import { Type } from "@sinclair/typebox";
import { isProblem } from "../../../kernel/problem.ts";
import type { Machine } from "../../../machines/index.ts";
import type { App } from "../../app.ts";
import type { MachineRouteContext } from "./context.ts";
import { MachineParams, MachineWire, machineWire, PageQuery, pageOf, viewerOf } from "./wire.ts";

/** peaq: list the caller's machines (every machine for an admin key) and read one. */
export default function readMachines(app: App, ctx: MachineRouteContext) {
  app.get(
    "/api/v1/machines",
    {
      config: { access: "read" },
      schema: {
        summary: "List your machines",
        tags: ["machines"],
        operationId: "listMachines",
        security: [{ apiKey: [] }],
        querystring: PageQuery,
        response: {
          200: Type.Object({
            items: Type.Array(MachineWire),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await ctx.machines.list(
        ctx.db.kysely,
        viewerOf(request),
        request.query.cursor ?? null,
        limit + 1,
      );
      return pageOf(rows, limit, machineWire);
    },
  );
  app.get(
    "/api/v1/machines/:id",
    {
      config: { access: "read" },
      schema: {
        summary: "Read a machine; its identity proof is re-checked on every read",
        tags: ["machines"],
        operationId: "getMachine",
        security: [{ apiKey: [] }],
        params: MachineParams,
        response: { 200: Type.Object({ item: MachineWire }) },
      },
    },
    async (request) => {
      const m = await ctx.machines.get(ctx.db.kysely, viewerOf(request), request.params.id);
      return { item: machineWire(await recheckForRead(ctx, m)) };
    },
  );
}

/** A read shows the stored state when the controller lookup is down, rather than failing. */
async function recheckForRead(ctx: MachineRouteContext, m: Machine): Promise<Machine> {
  try {
    return await ctx.machines.recheck(ctx.db.kysely, m);
  } catch (error) {
    if (isProblem(error) && error.code === "MACHINE_IDENTITY_UNAVAILABLE") return m;
    throw error;
  }
}
