import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { quoteWire } from "../catalog/wire.ts";
import { findCapability } from "./tools.ts";

const Params = Type.Object({
  product: Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{1,79}$" }),
  capability: Type.String({ pattern: "^[a-z][a-z0-9_-]{0,39}@v[0-9]+$" }),
});

const Reply = Type.Object({
  product_id: Type.String(),
  capability_id: Type.String(),
  price_usd: Type.Number({ description: "For display; the exact price is price.amount" }),
  price: Type.Object({ amount: Type.String(), amount_minor: Type.String(), asset: Type.String() }),
  quote_id: Type.String(),
  expires_at: Type.String(),
  jws: Type.String(),
});

/** AIMP pricing: GET with ?input_size= (units of the service's pricing unit) or POST {input}. */
export default function aimpPricing(app: App, ctx: AppContext) {
  const price = async (
    request: FastifyRequest,
    reply: FastifyReply,
    ids: { product: string; capability: string },
    basis: { input?: unknown; units?: bigint },
  ) => {
    const cap = await findCapability(ctx, ctx.db.kysely, ids.product, ids.capability);
    return writeTx(ctx, request, reply, 200, async (tx) => {
      const q = quoteWire(
        ctx,
        await ctx.catalog.quote(tx, {
          service: cap.service,
          operation: cap.operation.name,
          requester_id: request.caller?.principal.id ?? null,
          ...basis,
        }),
      );
      return {
        product_id: ids.product,
        capability_id: ids.capability,
        price_usd: Number(q.price.amount),
        price: q.price,
        quote_id: q.id,
        expires_at: q.expires_at,
        jws: q.jws,
      };
    });
  };
  app.get(
    "/ai-market/pricing/:product/:capability",
    {
      schema: {
        summary: "Price one call for an input size (AI Market Protocol)",
        tags: ["ai-market"],
        operationId: "getAiMarketPrice",
        params: Params,
        querystring: Type.Object(
          { input_size: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })) },
          { additionalProperties: false },
        ),
        response: { 200: Reply },
      },
    },
    async (request, reply) => {
      const size = request.query.input_size;
      return price(
        request,
        reply,
        request.params,
        size === undefined ? {} : { units: BigInt(size) },
      );
    },
  );
  app.post(
    "/ai-market/pricing/:product/:capability",
    {
      schema: {
        summary: "Price one call for a concrete input (AI Market Protocol)",
        tags: ["ai-market"],
        operationId: "postAiMarketPrice",
        params: Params,
        body: Type.Object({ input: Type.Unknown() }, { additionalProperties: false }),
        response: { 200: Reply },
      },
    },
    async (request, reply) => price(request, reply, request.params, { input: request.body.input }),
  );
}
