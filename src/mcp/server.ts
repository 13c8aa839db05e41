import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { Ajv } from "ajv";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../http/context.ts";
import { renderManifest } from "../http/routes/aimp/documents.ts";
import { localCapabilities } from "../http/routes/aimp/tools.ts";
import { canonicalJson, sha256Hex, stringifyWithBigints } from "../kernel/json.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { receiptRef } from "../receipts/index.ts";
import type { McpActor } from "./actor.ts";
import { coreTools, invokeCapability } from "./core-tools.ts";
import type { ToolListWatcher } from "./list-changed.ts";
import { type AgxTool, capabilityTools, toolNameOf } from "./tools.ts";
import { RawToolResult } from "./x402.ts";

const ajv = new Ajv({ allErrors: true, strict: false });

/** JSON-RPC error code the MCP spec gives an unknown resource URI. */
export const RESOURCE_NOT_FOUND = -32002;

function notFoundAsNull(error: unknown): null {
  if (isProblem(error) && error.status === 404) return null;
  throw error;
}

function textResult(value: unknown, isError = false) {
  const json = JSON.parse(stringifyWithBigints(value)) as Record<string, unknown>;
  // PEAC MCP evidence profile: a paid result names its receipt in _meta.
  const jws = typeof json.peac_receipt === "string" ? json.peac_receipt : null;
  const meta = jws
    ? {
        _meta: {
          "org.peacprotocol/receipt_ref": receiptRef(jws),
          "org.peacprotocol/receipt_jws": jws,
        },
      }
    : {};
  return {
    content: [{ type: "text" as const, text: JSON.stringify(json) }],
    structuredContent: json,
    isError,
    ...meta,
  };
}

/** Runs one tool: arguments validated against its schema, problems as isError results. */
async function callTool(
  tool: AgxTool,
  args: Record<string, unknown>,
  actor: McpActor,
  meta: Readonly<Record<string, unknown>> | undefined,
) {
  const validate = ajv.compile(tool.inputSchema);
  if (!validate(args)) {
    const errors = (validate.errors ?? []).map((e) => ({
      pointer: e.instancePath || "/",
      detail: e.message ?? "invalid",
    }));
    return textResult(
      new Problem(kernelProblems.VALIDATION_FAILED, `invalid arguments for ${tool.name}`, {
        errors,
      }).toBody(),
      true,
    );
  }
  try {
    const out = await tool.call(args, actor, meta);
    return out instanceof RawToolResult ? out.result : textResult(out);
  } catch (error) {
    if (isProblem(error)) return textResult(error.toBody(), true);
    throw error;
  }
}

/** An MCP server for one caller (stateless: one per HTTP request). */
function buildServer(ctx: AppContext, actor: McpActor): Server {
  const server = new Server(
    { name: "agx", version: "0.1.0" },
    { capabilities: { tools: { listChanged: true }, resources: {} } },
  );
  const allTools = async () => [
    ...coreTools(ctx),
    ...(await capabilityTools(ctx, (cap, input, a, options) =>
      invokeCapability(ctx, cap, input, a, options),
    )),
  ];
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await allTools()).map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema as { type: "object" },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const tool = (await allTools()).find((t) => t.name === req.params.name);
    if (!tool)
      return textResult(
        new Problem(kernelProblems.NOT_FOUND, `no tool ${req.params.name}`).toBody(),
        true,
      );
    const args = (req.params.arguments ?? {}) as Record<string, unknown>;
    return callTool(tool, args, actor, req.params._meta as Record<string, unknown> | undefined);
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: [
      {
        uri: "agx://manifest",
        name: "manifest",
        description: "The signed capability manifest",
        mimeType: "application/json",
      },
    ],
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [
      {
        uriTemplate: "agx://receipts/{id}",
        name: "receipt",
        description: "A receipt by id (compact JWS)",
        mimeType: "application/jwt",
      },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const uri = req.params.uri;
    if (uri === "agx://manifest") {
      const text = JSON.stringify(await renderManifest(ctx));
      return { contents: [{ uri, mimeType: "application/json", text }] };
    }
    const m = /^agx:\/\/receipts\/(rcpt_[0-9a-z]{26})$/.exec(uri);
    const r = m?.[1] ? await ctx.receipts.get(ctx.db.kysely, m[1]).catch(notFoundAsNull) : null;
    if (r) return { contents: [{ uri, mimeType: "application/jwt", text: r.jws }] };
    // The MCP spec's code for an unknown resource (not an internal error).
    throw new McpError(RESOURCE_NOT_FOUND, "Resource not found", { uri });
  });
  return server;
}

/**
 * What the tool list depends on: each capability tool's name and input schema. A change of it is
 * announced on open notification streams (list-changed.ts).
 */
export async function toolListFingerprint(ctx: AppContext): Promise<string> {
  const caps = await localCapabilities(ctx, ctx.db.kysely);
  return sha256Hex(
    canonicalJson(
      caps.map((c) => [toolNameOf(c), c.operation.input_schema, c.operation.description]),
    ),
  );
}

/**
 * `GET /mcp`: the Streamable HTTP transport's server-to-client stream. Stateless like the rest,
 * it carries notifications only — `notifications/tools/list_changed` when the catalogue's tools
 * change — with the transport's keep-alive, until the client goes away.
 */
export async function handleMcpStream(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  actor: McpActor,
  watcher: ToolListWatcher,
) {
  if (watcher.full()) {
    throw new Problem(kernelProblems.RATE_LIMITED, "too many MCP notification streams are open", {
      headers: { "retry-after": "30" },
    });
  }
  const server = buildServer(ctx, actor);
  const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
  reply.hijack();
  reply.raw.on("close", () => {
    watcher.remove(server);
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  // Watched before the stream opens (its baseline read first): handleRequest only returns when
  // the stream ends.
  await watcher.add(server);
  await transport.handleRequest(request.raw, reply.raw);
}

/** Handles one MCP Streamable HTTP request (POST or DELETE on /mcp). */
export async function handleMcp(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  actor: McpActor,
) {
  const server = buildServer(ctx, actor);
  const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
  reply.hijack();
  reply.raw.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request.raw, reply.raw, request.body);
}
