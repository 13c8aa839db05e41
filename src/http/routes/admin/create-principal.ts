import { Type } from "@sinclair/typebox";
import { limits } from "../../../kernel/limits.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { ApiKeyWire, apiKeyWire, PrincipalWire, principalWire } from "../../wire.ts";
import { Handle } from "../agents/register.ts";

const Body = Type.Object(
  {
    kind: Type.Union([
      Type.Literal("human"),
      Type.Literal("agent"),
      Type.Literal("machine"),
      Type.Literal("provider"),
    ]),
    handle: Handle,
    display_name: Type.Optional(
      Type.String({ minLength: 1, maxLength: limits.display_name_chars_max }),
    ),
    scope: Type.Optional(
      Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")], {
        default: "write",
      }),
    ),
  },
  { additionalProperties: false },
);

/** The operator creates a principal of any kind with a first key (shown once). */
export default function adminCreatePrincipal(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/admin/principals",
    {
      config: { access: "admin" },
      schema: {
        summary: "Create a principal and its first key (operator)",
        tags: ["admin"],
        operationId: "adminCreatePrincipal",
        security: [{ apiKey: [] }],
        body: Body,
        response: {
          201: Type.Object({ principal: PrincipalWire, key: ApiKeyWire, secret: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      return writeTx(ctx, request, reply, 201, async (tx) => {
        const principal = await ctx.identity.createPrincipal(tx, {
          kind: b.kind,
          handle: b.handle,
          display_name: b.display_name ?? b.handle,
        });
        const issued = await ctx.identity.issueKey(tx, principal.id, {
          scope: b.scope ?? "write",
          label: "first key",
        });
        return {
          principal: principalWire(principal),
          key: apiKeyWire(issued.key),
          secret: issued.secret,
        };
      });
    },
  );
}
