import { handleMcp } from "../../mcp/index.ts";
import type { App } from "../app.ts";
import { callerOf } from "../auth.ts";
import type { AppContext } from "../context.ts";

/**
 * The MCP server (Streamable HTTP, stateless: each request carries its own credentials, so any
 * hub process can answer). Tools: search, quote, invoke, order_status, balance and one per
 * catalogue capability; resources: the signed manifest and receipts.
 */
export default function mcpRoute(app: App, ctx: AppContext) {
  app.route({
    method: "POST",
    url: "/mcp",
    config: { access: "read" },
    schema: {
      summary: "Model Context Protocol endpoint (Streamable HTTP, JSON-RPC)",
      tags: ["mcp"],
      operationId: "mcp",
      security: [{ apiKey: [] }],
    },
    handler: async (request, reply) => handleMcp(ctx, request, reply, callerOf(request)),
  });
}
