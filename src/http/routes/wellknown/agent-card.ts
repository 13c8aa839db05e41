import type { App } from "../../app.ts";
import { sendCached } from "../../cache.ts";
import type { AppContext } from "../../context.ts";

/**
 * Discovery for agents: the A2A agent card (skills, security, the PEAC traceability extension)
 * and PEAC's /.well-known/peac.json. agx speaks MCP and REST rather than the A2A JSON-RPC
 * binding, so the card lists no A2A interface and points to both in its skills and docs.
 */
export default function agentCard(app: App, ctx: AppContext) {
  app.get(
    "/.well-known/agent-card.json",
    {
      schema: {
        summary: "A2A agent card (skills, security, PEAC traceability)",
        tags: ["discovery"],
        operationId: "getAgentCard",
      },
    },
    async (request, reply) => {
      const base = ctx.publicUrl();
      const card = {
        name: "agx hub",
        description:
          "The agent exchange: search, quote, buy and verify capabilities; pay over HTTP.",
        version: "0.1.0",
        supportedInterfaces: [],
        provider: { url: base, organization: "agx" },
        documentationUrl: `${base}/openapi.json`,
        capabilities: {
          streaming: false,
          pushNotifications: false,
          extensions: [
            {
              uri: "https://www.peacprotocol.org/ext/traceability/v1",
              description:
                "Paid and policy-governed answers carry a PEAC-Receipt (JWS) verifiable with the issuer's JWKS.",
              required: false,
              params: {
                issuer_config_url: `${base}/.well-known/peac-issuer.json`,
                mcp_endpoint: `${base}/mcp`,
              },
            },
          ],
        },
        securitySchemes: {
          apiKey: { httpAuthSecurityScheme: { scheme: "bearer", description: "sk_agx_… API key" } },
        },
        securityRequirements: [{ schemes: { apiKey: { list: [] } } }],
        defaultInputModes: ["application/json"],
        defaultOutputModes: ["application/json"],
        skills: [
          {
            id: "catalogue-search",
            name: "Catalogue search",
            description:
              "Find services for a goal; ranked, signed quotes (MCP tool `search`, POST /api/v1/market/search).",
            tags: ["search", "quote"],
            examples: ["find a service that counts words"],
            inputModes: ["application/json"],
            outputModes: ["application/json"],
          },
          {
            id: "invoke",
            name: "Invoke a capability",
            description:
              "Buy one call of a capability, paid from a balance, a channel or x402 (MCP tool `invoke`, POST /capabilities/{product}/{capability}/invoke).",
            tags: ["invoke", "payment"],
            examples: ["hash this text with sha256"],
            inputModes: ["application/json"],
            outputModes: ["application/json"],
          },
        ],
      };
      return sendCached(request, reply, JSON.stringify(card), {
        content_type: "application/json",
        max_age_s: 3600,
      });
    },
  );
  app.get(
    "/.well-known/peac.json",
    {
      schema: {
        summary: "PEAC discovery: receipt kinds, carriers and the issuer configuration",
        tags: ["peac"],
        operationId: "getPeacJson",
      },
    },
    async (request, reply) => {
      const doc = {
        supported_kinds: ["evidence"],
        carrier_formats: [
          "http-header:PEAC-Receipt",
          "http-header:PEAC-Receipt-Pointer",
          "mcp-meta:org.peacprotocol/receipt_ref",
        ],
        issuer_config_url: `${ctx.publicUrl()}/.well-known/peac-issuer.json`,
      };
      return sendCached(request, reply, JSON.stringify(doc), {
        content_type: "application/json",
        max_age_s: 3600,
      });
    },
  );
}
