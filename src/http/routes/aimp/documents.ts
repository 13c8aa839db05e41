import { Type } from "@sinclair/typebox";
import { publicKeyToBase64, signManifest } from "../../../aimp/index.ts";
import type { App } from "../../app.ts";
import { sendCached } from "../../cache.ts";
import type { AppContext } from "../../context.ts";
import { localCapabilities, usdPerCall } from "./tools.ts";

/** The catalogue as a signed AIMP manifest (what GET /ai-market/manifest and MCP serve). */
export async function renderManifest(ctx: AppContext) {
  const caps = await localCapabilities(ctx, ctx.db.kysely);
  const key = await ctx.keys.signingKey(ctx.db.kysely);
  const tools = caps.map((c) => ({
    name: `${c.product_id}.${c.capability_id}`,
    description: c.operation.description || c.service.description,
    input_schema: c.operation.input_schema as never,
    output_schema: c.operation.output_schema as never,
    price_per_call_usd: usdPerCall(ctx, c.service),
    p50_latency_ms: c.service.p50_latency_ms ?? 0,
    success_rate_30d: c.service.success_rate ?? 1,
    product_id: c.product_id,
    capability_id: c.capability_id,
  }));
  return signManifest(
    {
      protocol_version: "v1" as const,
      generated_at: new Date(ctx.clock.now_ms()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      base_url: ctx.publicUrl(),
      products_count: new Set(caps.map((c) => c.product_id)).size,
      capabilities_count: tools.length,
      tools,
    },
    key.privateKey,
  );
}

/**
 * AI Market Protocol discovery documents: /.well-known/ai-market.json, the signed capability
 * manifest (5-field canonical, so prices cannot be rewritten) and the MCP-style tools list.
 */
export default function aimpDocuments(app: App, ctx: AppContext) {
  app.get(
    "/.well-known/ai-market.json",
    {
      schema: {
        summary: "AI Market Protocol discovery document",
        tags: ["ai-market"],
        operationId: "getAiMarketWellKnown",
      },
    },
    async (request, reply) => {
      const base = ctx.publicUrl();
      const caps = await localCapabilities(ctx, ctx.db.kysely);
      const key = await ctx.keys.signingKey(ctx.db.kysely);
      const doc = {
        name: "agx hub",
        protocol_versions: ["v1", "v2", "mcp"],
        hub_version: "0.1.0",
        mcp_endpoint: `${base}/ai-market/mcp`,
        manifest_url: `${base}/ai-market/manifest`,
        products_count: new Set(caps.map((c) => c.product_id)).size,
        capabilities_count: caps.length,
        supported_chains: ["base"],
        supported_tokens: ctx.config.assets.map((a) => a.code),
        signer_public_key: publicKeyToBase64(key.privateKey),
      };
      return sendCached(request, reply, JSON.stringify(doc), {
        content_type: "application/json",
        max_age_s: 300,
      });
    },
  );

  app.get(
    "/ai-market/manifest",
    {
      config: { peac: true },
      schema: {
        summary: "Signed capability manifest (Ed25519, 5-field canonical)",
        tags: ["ai-market"],
        operationId: "getAiMarketManifest",
      },
    },
    async () => renderManifest(ctx),
  );

  app.get(
    "/ai-market/mcp",
    {
      schema: {
        summary: "The catalogue as an MCP tools list",
        tags: ["ai-market"],
        operationId: "getAiMarketMcpTools",
        response: {
          200: Type.Object({
            protocol: Type.Literal("mcp"),
            version: Type.String(),
            tools: Type.Array(
              Type.Object({
                name: Type.String(),
                description: Type.String(),
                inputSchema: Type.Unknown(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      protocol: "mcp" as const,
      version: "1.0",
      tools: (await localCapabilities(ctx, ctx.db.kysely)).map((c) => ({
        name: `${c.product_id}.${c.capability_id}`,
        description: c.operation.description || c.service.description,
        inputSchema: c.operation.input_schema,
      })),
    }),
  );
}
