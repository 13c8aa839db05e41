import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { QuoteWire, quoteWire } from "./wire.ts";

const Body = Type.Object(
  {
    service_id: Type.String({ pattern: "^svc_[0-9a-z]{26}$" }),
    operation: Type.Optional(Type.String({ maxLength: 40 })),
    input: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/** A signed, expiring price for one call of a service with a given input. */
export default function quoteRoute(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/quotes",
    {
      config: { access: "read" },
      schema: {
        summary: "Quote one call of a service (signed by the hub, expires in minutes)",
        tags: ["catalog"],
        operationId: "createQuote",
        security: [{ apiKey: [] }],
        body: Body,
        response: { 201: QuoteWire },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const service = await ctx.catalog.getService(ctx.db.kysely, b.service_id);
      return writeTx(ctx, request, reply, 201, async (tx) =>
        quoteWire(
          ctx,
          await ctx.catalog.quote(tx, {
            service,
            requester_id: request.caller?.principal.id ?? null,
            ...(b.operation ? { operation: b.operation } : {}),
            ...(b.input !== undefined ? { input: b.input } : {}),
          }),
        ),
      );
    },
  );
}
