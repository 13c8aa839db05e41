import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { ApiKeyWire, apiKeyWire } from "../../wire.ts";

/** Revokes one of the caller's keys at once; revoking twice answers the revoked key again. */
export default function revokeKey(app: App, ctx: AppContext) {
  app.delete(
    "/api/v1/keys/:id",
    {
      config: { access: "write" },
      schema: {
        summary: "Revoke an API key",
        tags: ["identity"],
        operationId: "revokeKey",
        security: [{ apiKey: [] }],
        params: Type.Object({ id: Type.String({ pattern: "^key_[0-9a-z]{26}$" }) }),
        response: { 200: Type.Object({ key: ApiKeyWire }) },
      },
    },
    async (request, reply) => {
      const owner = callerOf(request).principal.id;
      return writeTx(ctx, request, reply, 200, async (tx) => ({
        key: apiKeyWire(await ctx.identity.revokeKey(tx, owner, request.params.id)),
      }));
    },
  );
}
