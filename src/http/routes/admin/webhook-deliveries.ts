import { Type } from "@sinclair/typebox";
import { webhookLimits } from "../../../webhooks/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { DeliveryWire, deliveryWire } from "../webhooks/wire.ts";

const DeliveryId = Type.String({ pattern: "^whd_[0-9a-z]{26}$" });

const AdminDeliveryWire = Type.Object({ ...DeliveryWire.properties, owner_id: Type.String() });

/** The operator's view of webhook deliveries across every principal, and redelivery of any. */
export default function adminWebhookDeliveries(app: App, ctx: AppContext) {
  const common = { tags: ["admin", "webhooks"], security: [{ apiKey: [] }] };

  app.get(
    "/api/v1/admin/webhooks/deliveries",
    {
      config: { access: "admin" },
      schema: {
        ...common,
        summary: "Every principal's webhook deliveries, newest first (operator)",
        description:
          "Cursor pages `{items, next_cursor}` with each delivery's owner and latest attempts; " +
          "filter by `status` and `endpoint_id`.",
        operationId: "adminListWebhookDeliveries",
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal("pending"),
                Type.Literal("succeeded"),
                Type.Literal("dead"),
              ]),
            ),
            endpoint_id: Type.Optional(Type.String({ pattern: "^whe_[0-9a-z]{26}$" })),
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: webhookLimits.page_size_max }),
            ),
            cursor: Type.Optional(DeliveryId),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(AdminDeliveryWire),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await ctx.webhooks.listAllDeliveries(ctx.db.kysely, {
        ...(q.status ? { status: q.status } : {}),
        ...(q.endpoint_id ? { endpoint_id: q.endpoint_id } : {}),
        cursor: q.cursor ?? null,
        limit: q.limit ?? webhookLimits.page_size_default,
      });
      return {
        items: page.items.map((d) => ({ ...deliveryWire(d), owner_id: d.owner_id })),
        next_cursor: page.next_cursor,
      };
    },
  );

  app.post(
    "/api/v1/admin/webhooks/deliveries/:deliveryId/redeliver",
    {
      config: { access: "admin" },
      schema: {
        ...common,
        summary: "Send any principal's delivery again (operator; same webhook-id, new attempts)",
        operationId: "adminRedeliverWebhook",
        params: Type.Object({ deliveryId: DeliveryId }),
        response: { 202: AdminDeliveryWire },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 202, async (tx) => {
        const found = await ctx.webhooks.anyDelivery(tx, request.params.deliveryId);
        const d = await ctx.webhookFlows.redeliver(tx, found.owner_id, found.endpoint_id, found.id);
        return { ...deliveryWire(d), owner_id: d.owner_id };
      }),
  );
}
