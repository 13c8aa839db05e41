import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { ApiKeyWire, apiKeyWire } from "../../wire.ts";

/** The caller's keys (never their secrets), revoked ones included. */
export default function listKeys(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/keys",
    {
      config: { access: "read" },
      schema: {
        summary: "List my API keys",
        tags: ["identity"],
        operationId: "listKeys",
        security: [{ apiKey: [] }],
        response: { 200: Type.Object({ items: Type.Array(ApiKeyWire) }) },
      },
    },
    async (request) => {
      const keys = await ctx.identity.keysOf(ctx.db.kysely, callerOf(request).principal.id);
      return { items: keys.map(apiKeyWire) };
    },
  );
}
