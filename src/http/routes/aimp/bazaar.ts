import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { type AimpCapability, localCapabilities } from "./tools.ts";

const Query = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 20 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
    payTo: Type.Optional(Type.String({ maxLength: 80 })),
    scheme: Type.Optional(Type.String({ maxLength: 20 })),
    network: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

/** x402 PaymentRequirements (v2, exact scheme) of one paid capability, when x402 is offered. */
function accepts(ctx: AppContext, c: AimpCapability, resource: string) {
  const c402 = ctx.config;
  const p = c.service.pricing;
  const amount = p.amount_minor ?? p.minimum_minor;
  if (c402.x402_pay_to === null || amount === null || p.asset !== "USDC") return [];
  return [
    {
      scheme: "exact",
      network: c402.x402_network,
      amount: amount.toString(),
      asset: c402.x402_asset,
      payTo: c402.x402_pay_to,
      maxTimeoutSeconds: 60,
      resource,
      extra: { name: "USD Coin", version: "2" },
    },
  ];
}

/**
 * x402 Bazaar discovery (`/discovery/resources`, v2 shape): every paid capability this hub sells,
 * with its payment requirements, so Bazaar crawlers and clients find agx services.
 */
export default function bazaar(app: App, ctx: AppContext) {
  app.get(
    "/discovery/resources",
    {
      schema: {
        summary: "x402 Bazaar list of the paid resources of this hub",
        tags: ["ai-market", "x402"],
        operationId: "listDiscoveryResources",
        querystring: Query,
      },
    },
    async (request) => {
      const q = request.query;
      const base = ctx.publicUrl();
      const all = (await localCapabilities(ctx, ctx.db.kysely))
        .map((c) => {
          const resource = `${base}/capabilities/${c.product_id}/${c.capability_id}/invoke`;
          return {
            resource,
            type: "http",
            x402Version: 2,
            accepts: accepts(ctx, c, resource),
            lastUpdated: new Date(c.service.created_at_ms).toISOString(),
            metadata: {
              description: c.operation.description || c.service.description,
              product_id: c.product_id,
              capability_id: c.capability_id,
              input: {
                type: "http",
                method: "POST",
                bodyType: "json",
                body: c.operation.input_schema,
              },
              output: { type: "json", schema: c.operation.output_schema },
            },
          };
        })
        .filter((item) => (q.type ? item.type === q.type : true))
        .filter((item) =>
          q.payTo || q.scheme || q.network
            ? item.accepts.some(
                (a) =>
                  (!q.payTo || a.payTo.toLowerCase() === q.payTo.toLowerCase()) &&
                  (!q.scheme || a.scheme === q.scheme) &&
                  (!q.network || a.network === q.network),
              )
            : true,
        );
      const limit = q.limit ?? 20;
      const offset = q.offset ?? 0;
      return {
        x402Version: 2,
        items: all.slice(offset, offset + limit),
        pagination: { limit, offset, total: all.length },
      };
    },
  );

  app.get(
    "/.well-known/ai-plugin.json",
    {
      schema: {
        summary: "Agent-framework plugin manifest pointing at the OpenAPI document",
        tags: ["discovery"],
        operationId: "getAiPlugin",
      },
    },
    async () => ({
      schema_version: "v1",
      name_for_human: "agx hub",
      name_for_model: "agx",
      description_for_human: "Buy and sell capabilities between agents, people and machines.",
      description_for_model:
        "Search the catalogue (POST /api/v1/market/search or /ai-market/discover), get signed quotes, " +
        "and verify receipts (POST /v1/verify). Authenticate with Authorization: Bearer sk_agx_…; " +
        "register with POST /api/agents/register.",
      auth: { type: "user_http", authorization_type: "bearer" },
      api: { type: "openapi", url: `${ctx.publicUrl()}/openapi.json` },
      logo_url: `${ctx.publicUrl()}/health`,
      contact_email: "operator@localhost",
      legal_info_url: `${ctx.publicUrl()}/.well-known/peac.txt`,
    }),
  );
}
