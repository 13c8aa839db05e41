import { Readable } from "node:stream";
import { type Static, Type } from "@sinclair/typebox";
import type { Counts, FloorStats } from "../../../stats/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { MoneySchema } from "../../schemas.ts";
import { moneyWire } from "../../wire.ts";

const CountsWire = Type.Object({
  total: Type.Integer(),
  by_status: Type.Record(Type.String(), Type.Integer()),
});
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);
const SpendWire = Type.Array(
  Type.Object({ ...MoneySchema.properties, settled_orders: Type.Integer() }),
  { description: "What buyers paid for settled orders, summed per asset (exact decimals)" },
);

const StatsReply = Type.Object({
  generated_at: Type.String({ format: "date-time" }),
  principals: Type.Object({
    total: Type.Integer(),
    by_kind: Type.Record(Type.String(), Type.Integer()),
  }),
  services: Type.Object({ active: Type.Integer() }),
  orders: CountsWire,
  invocations: CountsWire,
  settlements: Type.Object({ ...CountsWire.properties, spend: SpendWire }),
  receipts: Type.Object({ total: Type.Integer() }),
  market_orders: CountsWire,
  window: Type.Object({
    since: Type.String({ format: "date-time" }),
    invocations: CountsWire,
    error_rate: Rate,
  }),
  top_services: Type.Array(
    Type.Object({
      service: Type.String(),
      skill_key: Type.String(),
      invocations: Type.Integer(),
      succeeded: Type.Integer(),
      failed: Type.Integer(),
      error_rate: Rate,
    }),
  ),
});

const iso = (ms: number) => new Date(ms).toISOString();
const total = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);
const counts = (c: Counts) => ({ total: total(c), by_status: c });
const spendWire = (ctx: AppContext, f: FloorStats) =>
  f.spend.map((s) => ({ ...moneyWire(ctx, s.amount_minor, s.asset), settled_orders: s.count }));

function statsWire(ctx: AppContext, f: FloorStats): Static<typeof StatsReply> {
  return {
    generated_at: iso(f.generated_at_ms),
    principals: { total: total(f.principals), by_kind: f.principals },
    services: { active: f.services_active },
    orders: counts(f.orders),
    invocations: counts(f.invocations),
    settlements: { ...counts(f.settlements), spend: spendWire(ctx, f) },
    receipts: { total: f.receipts },
    market_orders: counts(f.market_orders),
    window: {
      since: iso(f.window_start_ms),
      invocations: counts(f.window.invocations),
      error_rate: f.window.error_rate,
    },
    top_services: f.top_services,
  };
}

/** The aggregate the live feed repeats: no party, no single amount, only sums per asset. */
async function liveTotals(ctx: AppContext) {
  const f = await ctx.stats.floor(ctx.db.kysely);
  return {
    at: iso(f.generated_at_ms),
    invocations: counts(f.invocations),
    settlements: counts(f.settlements),
    spend: spendWire(ctx, f),
  };
}

/**
 * The Factory Floor (AI Market Protocol `GET /ai-market/stats` and the v2 live stream). Both are
 * public: they show what the market does, never who bought what or what one order cost.
 */
export default function aimpStats(app: App, ctx: AppContext) {
  app.get(
    "/ai-market/stats",
    {
      schema: {
        summary: "Factory Floor: counts, settled spend per asset, error rates, top services",
        description:
          "Computed from the hub's orders, runs, payments and receipts (every process sharing " +
          "the database sees the same); a snapshot may be up to two seconds old.",
        tags: ["ai-market"],
        operationId: "getAiMarketStats",
        response: { 200: StatsReply },
      },
    },
    async (_request, reply) => {
      reply.header("cache-control", "public, max-age=2");
      return statsWire(ctx, await ctx.stats.floor(ctx.db.kysely));
    },
  );

  app.get(
    "/ai-market/v2/stats/live",
    {
      schema: {
        summary: "Live feed of invocations, settlements and market events (text/event-stream)",
        description:
          "Events `invocation` (service, skill, operation, rail, status, latency_ms), " +
          "`settlement` (service, skill, rail, status released|refunded), `market` (listing " +
          "kind, event, status) and `totals` (sums per asset, no id). No event names a party " +
          "or carries one order's amount. Each event but `totals` has an id: resume with " +
          "`Last-Event-ID`. A stream ends after five minutes; 503 STATS_STREAMS_BUSY when full.",
        tags: ["ai-market"],
        operationId: "streamAiMarketLiveStats",
      },
    },
    async (request, reply) => {
      const last = request.headers["last-event-id"];
      const live = ctx.stats.openLive(
        ctx.db.kysely,
        typeof last === "string" && last.length > 0 ? last : null,
        () => liveTotals(ctx),
      );
      reply.raw.on("close", live.close);
      return reply
        .type("text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .send(Readable.from(live.frames));
    },
  );
}
