import type { AppContext } from "../http/context.ts";
import { type AimpCapability, localCapabilities } from "../http/routes/aimp/tools.ts";
import type { McpActor } from "./actor.ts";
import type { RawToolResult } from "./x402.ts";

/** An MCP tool: a JSON Schema contract and a handler that calls a module or flow, like a route. */
export interface AgxTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /**
   * Runs the tool; a Problem becomes an isError result with the problem as structured content.
   * `meta` is the request's `params._meta` (x402 payments arrive there).
   */
  call(
    args: Record<string, unknown>,
    actor: McpActor,
    meta?: Readonly<Record<string, unknown>>,
  ): Promise<Record<string, unknown> | RawToolResult>;
}

/** MCP tool names allow [A-Za-z0-9_.-]: `analyze@v1` becomes `analyze_v1`. */
export function toolNameOf(cap: AimpCapability): string {
  return `${cap.product_id}.${cap.capability_id.replace("@", "_")}`.slice(0, 128);
}

/** One tool per catalogue capability, generated from its input schema. */
export async function capabilityTools(
  ctx: AppContext,
  invoke: (
    cap: AimpCapability,
    input: unknown,
    actor: McpActor,
    options: { meta?: Readonly<Record<string, unknown>> },
  ) => Promise<Record<string, unknown> | RawToolResult>,
): Promise<AgxTool[]> {
  const caps = await localCapabilities(ctx, ctx.db.kysely);
  return caps.map((cap) => ({
    name: toolNameOf(cap),
    description: `${cap.operation.description || cap.service.description} (paid; ${cap.service.name}@${cap.service.version})`,
    inputSchema: cap.operation.input_schema,
    call: (args, actor, meta) => invoke(cap, args, actor, meta ? { meta } : {}),
  }));
}
