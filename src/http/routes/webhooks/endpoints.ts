import { Type } from "@sinclair/typebox";
import { limits } from "../../../kernel/limits.ts";
import { webhookEventTypes, webhookLimits } from "../../../webhooks/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MarketRouteContext } from "../market/index.ts";
import { EndpointId, EndpointWire, endpointWire } from "./wire.ts";

const Url = Type.String({ format: "uri", pattern: "^https?://", maxLength: limits.url_chars_max });
const EventTypes = Type.Array(Type.String({ pattern: "^(\\*|[a-z0-9]+\\.(\\*|[a-z0-9_]+))$" }), {
  minItems: 1,
  maxItems: webhookLimits.event_types_per_endpoint_max,
});
const Description = Type.String({ maxLength: webhookLimits.description_chars_max });

const WithSecret = Type.Object({
  endpoint: EndpointWire,
  secret: Type.String({ description: "whsec_…: shown this once; verify with standardwebhooks" }),
});

/** Subscriptions: create (secret shown once), read, edit, delete, rotate the secret. */
export default function endpointRoutes(app: App, ctx: MarketRouteContext) {
  const common = { tags: ["webhooks"], security: [{ apiKey: [] }] };
  const owner = (request: Parameters<typeof callerOf>[0]) => callerOf(request).principal.id;

  app.post(
    "/api/v1/webhooks",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Subscribe an endpoint to events (Standard Webhooks signatures)",
        operationId: "createWebhook",
        body: Type.Object(
          { url: Url, event_types: EventTypes, description: Type.Optional(Description) },
          { additionalProperties: false },
        ),
        response: { 201: WithSecret },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 201, async (tx) => {
        const b = request.body;
        const made = await ctx.webhooks.subscribe(tx, owner(request), {
          url: b.url,
          event_types: b.event_types,
          ...(b.description !== undefined ? { description: b.description } : {}),
        });
        return { endpoint: endpointWire(made.endpoint), secret: made.secret };
      }),
  );

  app.get(
    "/api/v1/webhooks",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "My webhook endpoints, and the event types the hub sends",
        operationId: "listWebhooks",
        response: {
          200: Type.Object({
            items: Type.Array(EndpointWire),
            event_types: Type.Array(Type.String()),
          }),
        },
      },
    },
    async (request) => ({
      items: (await ctx.webhooks.list(ctx.db.kysely, owner(request))).map(endpointWire),
      event_types: [...webhookEventTypes],
    }),
  );

  app.get(
    "/api/v1/webhooks/:id",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "One webhook endpoint",
        operationId: "getWebhook",
        params: EndpointId,
        response: { 200: EndpointWire },
      },
    },
    async (request) =>
      endpointWire(await ctx.webhooks.get(ctx.db.kysely, owner(request), request.params.id)),
  );

  app.patch(
    "/api/v1/webhooks/:id",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Change an endpoint's URL, events or description; enable or disable it",
        operationId: "updateWebhook",
        params: EndpointId,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            event_types: Type.Optional(EventTypes),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: EndpointWire },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const b = request.body;
        const patch = {
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.event_types !== undefined ? { event_types: b.event_types } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
        };
        return endpointWire(
          await ctx.webhooks.update(tx, owner(request), request.params.id, patch),
        );
      }),
  );

  app.delete(
    "/api/v1/webhooks/:id",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Delete an endpoint and its deliveries",
        operationId: "deleteWebhook",
        params: EndpointId,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }) },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        await ctx.webhooks.remove(tx, owner(request), request.params.id);
        return { id: request.params.id, deleted: true };
      }),
  );

  app.post(
    "/api/v1/webhooks/:id/rotate-secret",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Rotate the secret (shown once); the old one also signs during the overlap",
        operationId: "rotateWebhookSecret",
        params: EndpointId,
        body: Type.Object(
          {
            overlap_seconds: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: webhookLimits.rotation_overlap_max_ms / 1000,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: WithSecret },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const seconds = request.body.overlap_seconds;
        const overlap_ms =
          seconds === undefined ? webhookLimits.rotation_overlap_default_ms : seconds * 1000;
        const made = await ctx.webhooks.rotate(tx, owner(request), request.params.id, overlap_ms);
        return { endpoint: endpointWire(made.endpoint), secret: made.secret };
      }),
  );
}
