import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { OrderId, OrderWire, orderFor, orderWire } from "./wire.ts";

const Reply = Type.Object({
  order: OrderWire,
  receipts: Type.Array(Type.String()),
  result: Type.Optional(Type.Unknown()),
});

/** execute, confirm, dispute, payment/release, refund and cancel. */
export default function lifecycleRoutes(app: App, ctx: AppContext) {
  const opts = (summary: string, operationId: string, body?: ReturnType<typeof Type.Object>) => ({
    config: { access: "write" as const },
    schema: {
      summary,
      tags: ["orders"],
      operationId,
      security: [{ apiKey: [] }],
      params: OrderId,
      ...(body ? { body } : {}),
      response: { 200: Reply },
    },
  });
  const actorOf = (request: Parameters<typeof callerOf>[0], reason: string) => ({
    id: callerOf(request).principal.id,
    reason,
  });
  const withPayment = async (order: Parameters<typeof orderWire>[1]) =>
    orderWire(ctx, order, await ctx.orders.findPayment(ctx.db.kysely, order.id));

  app.post(
    "/api/v1/market/orders/:id/execute",
    opts("Run a paid (ready) order; money moves on delivery or failure", "executeOrder"),
    async (request, reply) => {
      const { order } = await orderFor(ctx, ctx.db.kysely, request, request.params.id, ["buyer"]);
      const report = await ctx.fulfilment.execute(order.id, actorOf(request, "execute"));
      const body = {
        order: await withPayment(report.order),
        receipts: report.receipts.map((r) => r.jws),
        ...(report.result.ok ? { result: report.result.value } : {}),
      };
      // The run itself happened outside the request's transaction; its answer is stored now.
      return writeTx(ctx, request, reply, 200, async () => body);
    },
  );

  app.post(
    "/api/v1/market/orders/:id/confirm",
    opts("Confirm receipt of a delivered order: pays the provider", "confirmOrder"),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["buyer"]);
        const done = await ctx.fulfilment.confirm(tx, order, actorOf(request, "received"));
        return {
          order: orderWire(ctx, done.order, await ctx.orders.findPayment(tx, order.id)),
          receipts: done.receipts.map((r) => r.jws),
        };
      }),
  );

  const Dispute = Type.Object(
    {
      reason: Type.String({ minLength: 1, maxLength: 2000 }),
      evidence: Type.Optional(
        Type.Array(
          Type.Object(
            {
              url: Type.Optional(Type.String({ maxLength: 2048 })),
              sha256: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          { maxItems: 20 },
        ),
      ),
    },
    { additionalProperties: false },
  );
  app.post(
    "/api/v1/market/orders/:id/dispute",
    opts("Dispute a delivered order: freezes its payment", "disputeOrder", Dispute),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["buyer"]);
        const b = request.body as { reason: string; evidence?: unknown[] };
        const next = await ctx.fulfilment.dispute(tx, order, actorOf(request, b.reason), {
          reason: b.reason,
          evidence: b.evidence ?? [],
        });
        return {
          order: orderWire(ctx, next, await ctx.orders.findPayment(tx, order.id)),
          receipts: [],
        };
      }),
  );

  app.post(
    "/api/v1/market/orders/:id/payment/release",
    opts("Resolve a dispute for the provider: release the payment (operator)", "releasePayment"),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["operator"]);
        const done = await ctx.fulfilment.resolve(
          tx,
          order,
          actorOf(request, "dispute resolved: release"),
          "release",
        );
        return {
          order: orderWire(ctx, done.order, await ctx.orders.findPayment(tx, order.id)),
          receipts: done.receipts.map((r) => r.jws),
        };
      }),
  );

  app.post(
    "/api/v1/market/orders/:id/refund",
    opts("Refund a delivered or disputed order (provider or operator)", "refundOrder"),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, [
          "provider",
          "operator",
        ]);
        const done = await ctx.fulfilment.resolve(tx, order, actorOf(request, "refund"), "refund");
        return {
          order: orderWire(ctx, done.order, await ctx.orders.findPayment(tx, order.id)),
          receipts: done.receipts.map((r) => r.jws),
        };
      }),
  );

  app.post(
    "/api/v1/market/orders/:id/cancel",
    opts("Cancel an order before it runs; held money returns", "cancelOrder"),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, [
          "buyer",
          "operator",
        ]);
        const done = await ctx.fulfilment.cancel(tx, order, actorOf(request, "cancelled"));
        return {
          order: orderWire(ctx, done.order, await ctx.orders.findPayment(tx, order.id)),
          receipts: done.receipts.map((r) => r.jws),
        };
      }),
  );
}
