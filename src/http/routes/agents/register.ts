import { Type } from "@sinclair/typebox";
import { limits } from "../../../kernel/limits.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { ApiKeyWire, apiKeyWire, PrincipalWire, principalWire } from "../../wire.ts";

export const Handle = Type.String({
  minLength: limits.handle_chars_min,
  maxLength: limits.handle_chars_max,
  pattern: "^[a-z0-9][a-z0-9_-]*$",
  description: "Lower-case letters, digits, '-' and '_'",
});

const Body = Type.Object(
  {
    handle: Handle,
    displayName: Type.Optional(
      Type.String({ minLength: 1, maxLength: limits.display_name_chars_max }),
    ),
    webhookUrl: Type.Optional(
      Type.String({ format: "uri", pattern: "^https?://", maxLength: limits.url_chars_max }),
    ),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  agent: PrincipalWire,
  key: ApiKeyWire,
  apiKey: Type.String({ description: "The secret key, shown this once only" }),
});

/** Pact's self-registration: an agent principal and its first key, rate-limited per IP. */
export default function registerAgent(app: App, ctx: AppContext) {
  app.post(
    "/api/agents/register",
    {
      config: { access: "public" },
      schema: {
        summary: "Register an agent and receive its first API key (shown once)",
        tags: ["identity"],
        operationId: "registerAgent",
        body: Body,
        response: { 201: Reply },
      },
    },
    async (request, reply) => {
      const decision = await ctx.ratelimit.hit(ctx.db.kysely, {
        bucket: `register:${request.ip}`,
        window_ms: limits.register_window_ms,
        max: limits.register_per_ip_per_window_max,
      });
      if (!decision.allowed) {
        throw new Problem(
          kernelProblems.RATE_LIMITED,
          `at most ${limits.register_per_ip_per_window_max} registrations per hour per address`,
          { headers: { "retry-after": String(Math.ceil(decision.retry_after_ms / 1000)) } },
        );
      }
      const { handle, displayName, webhookUrl } = request.body;
      return writeTx(ctx, request, reply, 201, async (tx) => {
        const agent = await ctx.identity.createPrincipal(tx, {
          kind: "agent",
          handle,
          display_name: displayName ?? handle,
          webhook_url: webhookUrl ?? null,
        });
        const issued = await ctx.identity.issueKey(tx, agent.id, {
          scope: "write",
          label: "first key",
        });
        return { agent: principalWire(agent), key: apiKeyWire(issued.key), apiKey: issued.secret };
      });
    },
  );
}
