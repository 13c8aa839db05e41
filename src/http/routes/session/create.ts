import { Type } from "@sinclair/typebox";
import { sessionLimits } from "../../../sessions/index.ts";
import type { App } from "../../app.ts";
import { writeTx } from "../../idempotency.ts";
import { PrincipalWire, principalWire } from "../../wire.ts";
import { isSecure, sessionCookie } from "./cookies.ts";
import { limitSignIns, type SessionRouteContext, SessionWire, sessionWire } from "./wire.ts";

const SiweBody = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: sessionLimits.siwe_message_chars_max }),
    signature: Type.String({ pattern: "^0x[0-9a-fA-F]{130}$" }),
  },
  { additionalProperties: false },
);

const KeyBody = Type.Object(
  { apiKey: Type.String({ pattern: "^sk_agx_[A-Za-z0-9_-]{32,128}$" }) },
  { additionalProperties: false },
);

const Reply = Type.Object({ session: SessionWire, principal: PrincipalWire });

/**
 * Opening a console session: a signed EIP-4361 message (wallets), or an API key exchanged for a
 * cookie (operators). The cookie is httpOnly; read the CSRF token from GET /api/v1/session.
 */
export default function createSession(app: App, ctx: SessionRouteContext) {
  app.post(
    "/api/v1/session",
    {
      config: { access: "public" },
      schema: {
        summary: "Sign in with Ethereum (EIP-4361): a signed message opens a cookie session",
        tags: ["session"],
        operationId: "createSession",
        body: SiweBody,
        response: { 201: Reply },
      },
    },
    async (request, reply) => {
      await limitSignIns(ctx, request, "signin");
      // Its own statement, committed whatever follows: a nonce is good for one attempt.
      const claimed = await ctx.sessions.claimNonce(ctx.db.kysely, request.body.message);
      const opened = await writeTx(ctx, request, reply, 201, async (tx) => {
        const s = await ctx.sessions.signInWithSiwe(tx, claimed, request.body);
        reply.header("set-cookie", sessionCookie(isSecure(ctx, request), s.token));
        return { session: sessionWire(s.session), principal: principalWire(s.principal) };
      });
      reply.header("cache-control", "no-store");
      return opened;
    },
  );

  app.post(
    "/api/v1/session/key",
    {
      config: { access: "public" },
      schema: {
        summary: "Exchange an API key for a cookie session of its scope (operators in a browser)",
        tags: ["session"],
        operationId: "createKeySession",
        body: KeyBody,
        response: { 201: Reply },
      },
    },
    async (request, reply) => {
      await limitSignIns(ctx, request, "signin");
      const opened = await writeTx(ctx, request, reply, 201, async (tx) => {
        const s = await ctx.sessions.signInWithKey(tx, request.body.apiKey);
        reply.header("set-cookie", sessionCookie(isSecure(ctx, request), s.token));
        return { session: sessionWire(s.session), principal: principalWire(s.principal) };
      });
      reply.header("cache-control", "no-store");
      return opened;
    },
  );
}
