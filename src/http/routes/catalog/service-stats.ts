import { Type } from "@sinclair/typebox";
import { catalogProblems } from "../../../catalog/index.ts";
import { scopeCovers } from "../../../identity/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { Problem } from "../../../kernel/problem.ts";
import { rateOf } from "../../../stats/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { MoneySchema } from "../../schemas.ts";
import { moneyWire } from "../../wire.ts";

const Ms = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

export const ServiceStatsReply = Type.Object({
  service: Type.Object({ id: Type.String(), name: Type.String(), provider_id: Type.String() }),
  since: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  generated_at: Type.String({ format: "date-time" }),
  runs: Type.Object({
    total: Type.Integer(),
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    running: Type.Integer(),
  }),
  success_rate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
    description: "succeeded / (succeeded + failed), 4 places; null when none finished",
  }),
  latency_ms: Type.Object(
    { samples: Type.Integer(), p50: Ms, p95: Ms },
    { description: "successful runs, nearest-rank percentiles" },
  ),
  revenue: Type.Array(
    Type.Object({
      asset: Type.String(),
      settled_orders: Type.Integer(),
      gross: MoneySchema,
      fee: MoneySchema,
      net: MoneySchema,
    }),
    { description: "released orders per asset: paid by buyers, the hub's fee, the provider's" },
  ),
});

/** A provider's own figures for one service: runs, success, latency, revenue. */
export default function serviceStatsRoute(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/catalog/services/:id/stats",
    {
      config: { access: "read" },
      schema: {
        summary: "Runs, success rate, latency p50/p95 and revenue of your service",
        description:
          "Counted over every version of the service's name by its provider, from `since` " +
          "(default: all time). Only the service's provider and the operator may read it; " +
          "anyone else gets 404 CATALOG_SERVICE_NOT_FOUND. Money is exact (minor units as " +
          "decimal strings), per asset.",
        tags: ["catalog"],
        operationId: "getServiceStats",
        security: [{ apiKey: [] }],
        params: Type.Object({ id: Type.String({ pattern: "^svc_[0-9a-z]{26}$" }) }),
        querystring: Type.Object(
          { since: Type.Optional(Type.String({ format: "date-time" })) },
          { additionalProperties: false },
        ),
        response: { 200: ServiceStatsReply },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const service = await ctx.catalog.getService(ctx.db.kysely, request.params.id);
      if (service.provider_id !== caller.principal.id && !scopeCovers(caller.key.scope, "admin"))
        throw new Problem(catalogProblems.CATALOG_SERVICE_NOT_FOUND, `no service ${service.id}`);
      const since_ms = request.query.since ? Date.parse(request.query.since) : 0;
      const r = await ctx.stats.serviceRecord(ctx.db.kysely, service, since_ms);
      const ok = r.runs.succeeded ?? 0;
      const bad = r.runs.failed ?? 0;
      return {
        service: { id: service.id, name: service.name, provider_id: service.provider_id },
        since: request.query.since ? isoOf(since_ms) : null,
        generated_at: isoOf(ctx.clock.now_ms()),
        runs: {
          total: Object.values(r.runs).reduce((a, b) => a + b, 0),
          succeeded: ok,
          failed: bad,
          running: r.runs.running ?? 0,
        },
        success_rate: rateOf(ok, ok + bad),
        latency_ms: { samples: r.latency.samples, p50: r.latency.p50_ms, p95: r.latency.p95_ms },
        revenue: r.revenue.map((v) => ({
          asset: v.asset,
          settled_orders: v.settled_orders,
          gross: moneyWire(ctx, v.gross_minor, v.asset),
          fee: moneyWire(ctx, v.fee_minor, v.asset),
          net: moneyWire(ctx, v.gross_minor - v.fee_minor, v.asset),
        })),
      };
    },
  );
}
