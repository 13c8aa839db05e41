import { Type } from "@sinclair/typebox";
import { webhookLimits } from "../../../webhooks/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MarketRouteContext } from "../market/index.ts";
import { DeliveryWire, deliveryWire, EndpointId } from "./wire.ts";

const DeliveryParams = Type.Object({
  id: Type.String({ pattern: "^whe_[0-9a-z]{26}$" }),
  deliveryId: Type.String({ pattern: "^whd_[0-9a-z]{26}$" }),
});

/** An endpoint's deliveries with their attempts; redeliver one, or every dead one. */
export default function deliveryRoutes(app: App, ctx: MarketRouteContext) {
  const common = { tags: ["webhooks"], security: [{ apiKey: [] }] };
  const owner = (request: Parameters<typeof callerOf>[0]) => callerOf(request).principal.id;

  app.get(
    "/api/v1/webhooks/:id/deliveries",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "Deliveries to an endpoint, newest first, with their latest attempts",
        operationId: "listWebhookDeliveries",
        params: EndpointId,
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal("pending"),
                Type.Literal("succeeded"),
                Type.Literal("dead"),
              ]),
            ),
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: webhookLimits.page_size_max }),
            ),
            cursor: Type.Optional(Type.String({ pattern: "^whd_[0-9a-z]{26}$" })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(DeliveryWire),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await ctx.webhooks.listDeliveries(
        ctx.db.kysely,
        owner(request),
        request.params.id,
        {
          ...(q.status ? { status: q.status } : {}),
          cursor: q.cursor ?? null,
          limit: q.limit ?? webhookLimits.page_size_default,
        },
      );
      return { items: page.items.map(deliveryWire), next_cursor: page.next_cursor };
    },
  );

  app.post(
    "/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Send one delivery again (same webhook-id, a fresh round of attempts)",
        operationId: "redeliverWebhook",
        params: DeliveryParams,
        response: { 202: DeliveryWire },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 202, async (tx) => {
        const p = request.params;
        return deliveryWire(
          await ctx.webhookFlows.redeliver(tx, owner(request), p.id, p.deliveryId),
        );
      }),
  );

  app.post(
    "/api/v1/webhooks/:id/redeliver",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Send every dead (failed) delivery of an endpoint again",
        operationId: "redeliverFailedWebhooks",
        params: EndpointId,
        response: { 202: Type.Object({ redelivered: Type.Integer() }) },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 202, async (tx) => ({
        redelivered: await ctx.webhookFlows.redeliverFailed(tx, owner(request), request.params.id),
      })),
  );
}
