import type { FastifyRequest } from "fastify";
import { Problem } from "../../kernel/problem.ts";
import { kernelProblems } from "../../kernel/problems.ts";
import {
  createToolListWatcher,
  handleMcp,
  handleMcpStream,
  mcpActorOf,
  toolListFingerprint,
} from "../../mcp/index.ts";
import type { App } from "../app.ts";
import type { AppContext } from "../context.ts";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

const hostnameOf = (hostHeader: string) => {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return null;
  }
};

/**
 * DNS-rebinding guard (MCP transports: servers MUST validate Origin). A browser page may reach
 * a hub on loopback under a hostile name; it then sends that name as Origin and Host. Allowed:
 * no Origin (non-browser clients) or the hub's own public origin; on a loopback bind, loopback
 * origins too, and only loopback (or public URL) Host names.
 */
export function checkMcpOrigin(ctx: AppContext, request: FastifyRequest): void {
  const publicUrl = new URL(ctx.publicUrl());
  const loopbackBind = LOOPBACK.has(ctx.config.host);
  const allowedName = (name: string | null) =>
    name !== null && (name === publicUrl.hostname || (loopbackBind && LOOPBACK.has(name)));
  const refuse = (what: string) =>
    new Problem(kernelProblems.FORBIDDEN, `${what} is not this hub's; /mcp refuses it`);
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const parsed = URL.canParse(origin) ? new URL(origin) : null;
    if (parsed?.origin !== publicUrl.origin && !allowedName(parsed?.hostname ?? null)) {
      throw refuse(`Origin ${origin}`);
    }
  }
  if (loopbackBind && !allowedName(hostnameOf(request.headers.host ?? ""))) {
    throw refuse(`Host ${request.headers.host}`);
  }
}

/**
 * The MCP server (Streamable HTTP, stateless: each request carries its own credentials, so any
 * hub process can answer). Tools: search, quote, invoke, order_status, balance and one per
 * catalogue capability; resources: the signed manifest and receipts. Callers: an API key, a
 * paired agent's `x-agent-pairing-token` (spending under its delegation policy), or nobody —
 * who may still list, search and pay single calls with x402 in `_meta` (see mcp/actor.ts).
 */
export default function mcpRoute(app: App, ctx: AppContext) {
  app.route({
    method: "POST",
    url: "/mcp",
    // Credentials are optional here (x402 payers have none); a bad key or token is still a 401.
    config: { access: "public" },
    schema: {
      summary: "Model Context Protocol endpoint (Streamable HTTP, JSON-RPC)",
      tags: ["mcp"],
      operationId: "mcp",
      security: [{}, { apiKey: [] }],
    },
    handler: async (request, reply) => {
      checkMcpOrigin(ctx, request);
      return handleMcp(ctx, request, reply, await mcpActorOf(ctx, request));
    },
  });
  const watcher = createToolListWatcher(() => toolListFingerprint(ctx));
  app.addHook("onClose", async () => watcher.close());
  app.route({
    method: "GET",
    url: "/mcp",
    config: { access: "public" },
    schema: {
      summary: "MCP notification stream (SSE): notifications/tools/list_changed",
      tags: ["mcp"],
      operationId: "mcpStream",
      security: [{}, { apiKey: [] }],
    },
    handler: async (request, reply) => {
      checkMcpOrigin(ctx, request);
      const actor = await mcpActorOf(ctx, request);
      if (!String(request.headers.accept ?? "").includes("text/event-stream")) {
        throw new Problem(
          kernelProblems.NOT_ACCEPTABLE,
          "GET /mcp is an SSE stream: accept text/event-stream",
        );
      }
      return handleMcpStream(ctx, request, reply, actor, watcher);
    },
  });
}
