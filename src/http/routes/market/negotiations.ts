import { Type } from "@sinclair/typebox";
import { listingKinds, marketLimits } from "../../../market/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MarketRouteContext } from "./index.ts";
import { OrderWire, orderWire, ThreadWire, threadWire } from "./wire.ts";

const Body = Type.Object(
  {
    sourceType: Type.Union(listingKinds.map((k) => Type.Literal(k))),
    sourceId: Type.String({ pattern: "^lst_[0-9a-z]{26}$" }),
    message: Type.Optional(
      Type.String({ minLength: 1, maxLength: marketLimits.message_chars_max }),
    ),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  order: OrderWire,
  thread: ThreadWire,
  receipts: Type.Array(Type.String()),
});

/** Pact's negotiation: an order in NEGOTIATING and its shared thread; a repeat returns them. */
export default function negotiationRoutes(app: App, ctx: MarketRouteContext) {
  app.post(
    "/api/market/negotiations",
    {
      config: { access: "write" },
      schema: {
        summary: "Open a negotiation on a bounty or service → {order, thread}",
        tags: ["market"],
        operationId: "marketNegotiate",
        security: [{ apiKey: [] }],
        body: Body,
        response: { 201: Reply, 200: Reply },
      },
    },
    async (request, reply) => {
      const b = request.body;
      let created = false;
      return writeTx(
        ctx,
        request,
        reply,
        () => (created ? 201 : 200),
        async (tx) => {
          const made = await ctx.marketFlows.negotiate(tx, callerOf(request).principal.id, {
            source_type: b.sourceType,
            source_id: b.sourceId,
            ...(b.message ? { message: b.message } : {}),
          });
          created = made.created;
          return {
            order: orderWire(ctx, made.order),
            thread: threadWire(made.thread),
            receipts: made.receipts.map((r) => r.jws),
          };
        },
      );
    },
  );
}
