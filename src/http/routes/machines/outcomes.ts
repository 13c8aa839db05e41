import { Type } from "@sinclair/typebox";
import { machineOutcomes } from "../../../flows/machine-pairing.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { minorToDecimal } from "../../../kernel/money.ts";
import type { App } from "../../app.ts";
import { decimalsOf } from "../../wire.ts";
import { type MachineRouteContext, modulesOf } from "./context.ts";
import { MachineParams, PageQuery, pageOf, viewerOf } from "./wire.ts";

const OutcomeWire = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  runId: Type.String(),
  pairingId: Type.String(),
  serviceId: Type.String(),
  skillKey: Type.String(),
  price: Type.Object({ amount: Type.String(), asset: Type.String() }),
  resultSha256: Type.String(),
  result: Type.Unknown(),
  createdAt: Type.String(),
});

/** peaq: what a machine's agents bought and got back, for its owner. */
export default function machineOutcomesRoute(app: App, ctx: MachineRouteContext) {
  app.get(
    "/api/v1/machines/:id/outcomes",
    {
      config: { access: "read" },
      schema: {
        summary: "Outcomes of the orders a machine's paired agents made, newest first",
        tags: ["machines"],
        operationId: "listMachineOutcomes",
        security: [{ apiKey: [] }],
        params: MachineParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({
            items: Type.Array(OutcomeWire),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await machineOutcomes(
        { ...modulesOf(ctx), orders: ctx.orders },
        ctx.db.kysely,
        viewerOf(request),
        request.params.id,
        { before: request.query.cursor ?? null, limit: limit + 1 },
      );
      return pageOf(rows, limit, (o) => ({
        id: o.id,
        orderId: o.order_id,
        runId: o.run_id,
        pairingId: o.pairing_id,
        serviceId: o.service_id,
        skillKey: o.skill_key,
        price: {
          amount: minorToDecimal(o.amount_minor, decimalsOf(ctx, o.asset)),
          asset: o.asset,
        },
        resultSha256: o.result_sha256,
        result: o.result,
        createdAt: isoOf(o.created_at_ms),
      }));
    },
  );
}
