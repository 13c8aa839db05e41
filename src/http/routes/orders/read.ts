import { Type } from "@sinclair/typebox";
import { isoOf } from "../../../kernel/clock.ts";
import { limits } from "../../../kernel/limits.ts";
import { orderStatuses } from "../../../orders/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { Page } from "../../schemas.ts";
import { OrderId, OrderWire, orderFor, orderWire, payeesOf } from "./wire.ts";

const RunWire = Type.Object({
  id: Type.String(),
  order_id: Type.String(),
  service_id: Type.String(),
  skill_key: Type.String(),
  route: Type.String(),
  status: Type.String(),
  started_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  latency_ms: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});

type RunRow = Awaited<ReturnType<AppContext["orders"]["runs"]>>[number];
const runWire = (r: RunRow) => ({
  id: r.id,
  order_id: r.order_id,
  service_id: r.service_id,
  skill_key: r.skill_key,
  route: r.route,
  status: r.status,
  started_at: isoOf(r.started_at_ms),
  finished_at: r.finished_at_ms === null ? null : isoOf(r.finished_at_ms),
  latency_ms: r.latency_ms,
  error: r.error,
});

/** Orders the caller bought or sold, one order with its trail, runs and outcomes. */
export default function readOrderRoutes(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/market/orders",
    {
      config: { access: "read" },
      schema: {
        summary: "List my orders (as buyer or provider), newest first",
        tags: ["orders"],
        operationId: "listOrders",
        security: [{ apiKey: [] }],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(orderStatuses.map((s) => Type.Literal(s)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.page_size_max })),
            cursor: Type.Optional(Type.String({ maxLength: 40 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(OrderWire) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? limits.page_size_default;
      const rows = await ctx.orders.list(
        ctx.db.kysely,
        { party_id: callerOf(request).principal.id, status: request.query.status },
        request.query.cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      const items = [];
      for (const o of page)
        items.push(orderWire(ctx, o, await ctx.orders.findPayment(ctx.db.kysely, o.id)));
      return { items, next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
    },
  );
  app.get(
    "/api/v1/market/orders/:id",
    {
      config: { access: "read" },
      schema: {
        summary: "Get an order with its payment, audit trail, runs and outcome",
        tags: ["orders"],
        operationId: "getOrder",
        security: [{ apiKey: [] }],
        params: OrderId,
      },
    },
    async (request) => {
      const { order } = await orderFor(ctx, ctx.db.kysely, request, request.params.id, [
        "buyer",
        "provider",
        "operator",
      ]);
      const ex = ctx.db.kysely;
      const outcome = await ctx.orders.outcomeOf(ex, order.id);
      return {
        ...orderWire(
          ctx,
          order,
          await ctx.orders.findPayment(ex, order.id),
          await payeesOf(ctx, ex, order),
        ),
        events: (await ctx.orders.events(ex, order.id)).map((e) => ({ ...e, at: isoOf(e.at_ms) })),
        runs: (await ctx.orders.runs(ex, { order_id: order.id }, 20)).map(runWire),
        outcome: outcome
          ? {
              id: outcome.id,
              run_id: outcome.run_id,
              result_sha256: outcome.result_sha256,
              result: outcome.result,
            }
          : null,
        receipts: (await ctx.receipts.chainOf(ex, order.id)).map((r) => ({
          id: r.id,
          kind: r.kind,
          jws: r.jws,
          prev_id: r.prev_id,
        })),
      };
    },
  );
  app.get(
    "/api/v1/runs",
    {
      config: { access: "read" },
      schema: {
        summary: "Runs of my orders (as buyer or provider), newest first",
        tags: ["orders"],
        operationId: "listRuns",
        security: [{ apiKey: [] }],
        querystring: Type.Object(
          { order_id: Type.Optional(Type.String({ pattern: "^ord_[0-9a-z]{26}$" })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(RunWire) }) },
      },
    },
    async (request) => {
      const me = callerOf(request).principal.id;
      const orders = await ctx.orders.list(
        ctx.db.kysely,
        { party_id: me },
        null,
        limits.page_size_max,
      );
      const ids = new Set(orders.map((o) => o.id));
      const wanted = request.query.order_id;
      if (wanted && !ids.has(wanted)) return { items: [] };
      const runs = [];
      for (const id of wanted ? [wanted] : [...ids])
        runs.push(...(await ctx.orders.runs(ctx.db.kysely, { order_id: id }, 20)));
      return {
        items: runs
          .sort((a, b) => b.id.localeCompare(a.id))
          .slice(0, limits.page_size_max)
          .map(runWire),
      };
    },
  );
}
