import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { ApiKeyWire, apiKeyWire } from "../../wire.ts";

const Body = Type.Object(
  {
    scope: Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")]),
    label: Type.Optional(Type.String({ maxLength: 120 })),
    dpop_jkt: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9_-]{43}$",
        description:
          "Bind the key to a DPoP key (RFC 7638 SHA-256 thumbprint): it then works only as `Authorization: DPoP <key>` with a proof",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Issues another key for the caller, at most the caller's own scope. */
export default function createKey(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/keys",
    {
      config: { access: "write" },
      schema: {
        summary: "Create an API key (the secret is shown once)",
        tags: ["identity"],
        operationId: "createKey",
        security: [{ apiKey: [] }],
        body: Body,
        response: { 201: Type.Object({ key: ApiKeyWire, secret: Type.String() }) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      ctx.identity.assertGrantable(caller.key.scope, request.body.scope);
      return writeTx(ctx, request, reply, 201, async (tx) => {
        const issued = await ctx.identity.issueKey(tx, caller.principal.id, {
          scope: request.body.scope,
          label: request.body.label ?? "",
          dpop_jkt: request.body.dpop_jkt ?? null,
        });
        return { key: apiKeyWire(issued.key), secret: issued.secret };
      });
    },
  );
}
