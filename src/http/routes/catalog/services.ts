import { Type } from "@sinclair/typebox";
import { checkBuiltinEndpoints } from "../../../flows/builtin-endpoints.ts";
import { machineEndpointClaim } from "../../../flows/machine-runtime.ts";
import { limits } from "../../../kernel/limits.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { AssetCode, DecimalAmount, Page } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import { ServiceBody, ServiceWire, SkillKey, serviceInputOf, serviceWire } from "./wire.ts";

export const ServiceFilterQuery = Type.Object(
  {
    skill: Type.Optional(SkillKey),
    category: Type.Optional(Type.String({ pattern: "^[a-z][a-z0-9_-]*$", maxLength: 40 })),
    tag: Type.Optional(Type.String({ maxLength: 40 })),
    provider: Type.Optional(Type.String({ pattern: "^prn_[0-9a-z]{26}$" })),
    rail: Type.Optional(Type.String({ maxLength: 40 })),
    execution_mode: Type.Optional(
      Type.Union([Type.Literal("native"), Type.Literal("external-handoff")]),
    ),
    region: Type.Optional(Type.String({ maxLength: 40 })),
    price_min: Type.Optional(DecimalAmount),
    price_max: Type.Optional(DecimalAmount),
    asset: Type.Optional(AssetCode),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.page_size_max })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

type FilterQuery = (typeof ServiceFilterQuery)["static"];

/** Query filters → the catalogue's filter, with prices in the asset's minor units. */
export function filterOf(ctx: AppContext, q: Omit<FilterQuery, "limit" | "cursor">) {
  const asset = q.asset ?? "USDC";
  return {
    ...(q.skill ? { skill_key: q.skill } : {}),
    ...(q.category ? { category: q.category } : {}),
    ...(q.tag ? { tag: q.tag } : {}),
    ...(q.provider ? { provider_id: q.provider } : {}),
    ...(q.rail ? { rail: q.rail } : {}),
    ...(q.execution_mode ? { execution_mode: q.execution_mode } : {}),
    ...(q.region ? { region: q.region } : {}),
    ...(q.price_min
      ? {
          price_min_minor:
            q.price_min === "0" ? 0n : minorOf(ctx, q.price_min, asset, "/price_min"),
        }
      : {}),
    ...(q.price_max ? { price_max_minor: minorOf(ctx, q.price_max, asset, "/price_max") } : {}),
  };
}

/** Publish (or version), list with filters, read and retire services. */
export default function serviceRoutes(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/catalog/services",
    {
      config: { access: "write" },
      schema: {
        summary: "Publish a service, or a new version of your own service (same name)",
        tags: ["catalog"],
        operationId: "publishService",
        security: [{ apiKey: [] }],
        body: ServiceBody,
        response: { 201: ServiceWire },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const provider = caller.principal.id;
      const input = serviceInputOf(ctx, request.body);
      const admin = caller.key.scope === "admin";
      checkBuiltinEndpoints(input, { admin }, ctx.config.builtin_resale);
      // machine:// endpoints: the caller's own active machine, checked before the transaction.
      const claimUrl = await machineEndpointClaim(
        ctx.machines,
        ctx.db.kysely,
        provider,
        input.endpoints.map((e, i) => ({ url: e.url, pointer: `/endpoints/${i}/url` })),
      );
      return writeTx(ctx, request, reply, 201, async (tx) =>
        serviceWire(ctx, await ctx.catalog.publishService(tx, provider, input, { claimUrl })),
      );
    },
  );
  app.get(
    "/api/v1/catalog/services",
    {
      config: { peac: true },
      schema: {
        summary: "List services (latest active versions) with filters (PEAC-governed, receipted)",
        tags: ["catalog"],
        operationId: "listServices",
        querystring: ServiceFilterQuery,
        response: { 200: Page(ServiceWire) },
      },
    },
    async (request) => {
      const { limit: l, cursor, ...rest } = request.query;
      const limit = l ?? limits.page_size_default;
      const rows = await ctx.catalog.listServices(
        ctx.db.kysely,
        filterOf(ctx, rest),
        cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((s) => serviceWire(ctx, s)),
        next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );
  app.get(
    "/api/v1/catalog/services/:id",
    {
      schema: {
        summary: "Get a service by id (any version)",
        tags: ["catalog"],
        operationId: "getService",
        params: Type.Object({ id: Type.String({ pattern: "^svc_[0-9a-z]{26}$" }) }),
        response: { 200: ServiceWire },
      },
    },
    async (request) =>
      serviceWire(ctx, await ctx.catalog.getService(ctx.db.kysely, request.params.id)),
  );
  app.post(
    "/api/v1/catalog/services/:id/retire",
    {
      config: { access: "write" },
      schema: {
        summary: "Retire your service (it stays readable for orders that point at it)",
        tags: ["catalog"],
        operationId: "retireService",
        security: [{ apiKey: [] }],
        params: Type.Object({ id: Type.String({ pattern: "^svc_[0-9a-z]{26}$" }) }),
        response: { 200: ServiceWire },
      },
    },
    async (request, reply) => {
      const provider = callerOf(request).principal.id;
      return writeTx(ctx, request, reply, 200, async (tx) =>
        serviceWire(ctx, await ctx.catalog.retireService(tx, provider, request.params.id)),
      );
    },
  );
}
