import { Type } from "@sinclair/typebox";
import { isoOf } from "../../../kernel/clock.ts";
import { siweMessageOf } from "../../../sessions/index.ts";
import type { App } from "../../app.ts";
import { writeTx } from "../../idempotency.ts";
import { audienceOf, limitSignIns, type SessionRouteContext } from "./wire.ts";

const Body = Type.Object(
  {
    address: Type.Optional(
      Type.String({ pattern: "^0x[0-9a-fA-F]{40}$", description: "Answer the message too" }),
    ),
    chainId: Type.Optional(Type.Integer({ minimum: 1, maximum: 4_294_967_295 })),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  nonce: Type.String(),
  domain: Type.String(),
  uri: Type.String(),
  version: Type.Literal("1"),
  chainId: Type.Integer(),
  statement: Type.String(),
  issuedAt: Type.String(),
  expirationTime: Type.String(),
  message: Type.Union([Type.String(), Type.Null()], {
    description: "The EIP-4361 message for `address`, ready to sign (null without an address)",
  }),
});

/** Step one of Sign-In with Ethereum: a single-use nonce and the message parts to sign. */
export default function sessionNonce(app: App, ctx: SessionRouteContext) {
  app.post(
    "/api/v1/session/nonce",
    {
      config: { access: "public" },
      schema: {
        summary: "Ask for a Sign-In with Ethereum nonce and the EIP-4361 message parts to sign",
        tags: ["session"],
        operationId: "createSessionNonce",
        body: Type.Optional(Body),
        response: { 201: Reply },
      },
    },
    async (request, reply) => {
      await limitSignIns(ctx, request, "nonce");
      const body = request.body ?? {};
      const audience = audienceOf(ctx, request, body.chainId ?? 1);
      return writeTx(ctx, request, reply, 201, async (tx) => {
        const n = await ctx.sessions.issueNonce(tx, audience);
        return {
          nonce: n.nonce,
          domain: n.domain,
          uri: n.uri,
          version: "1" as const,
          chainId: n.chain_id,
          statement: n.statement,
          issuedAt: isoOf(n.issued_at_ms),
          expirationTime: isoOf(n.expires_at_ms),
          message: body.address ? siweMessageOf(n, body.address) : null,
        };
      });
    },
  );
}
