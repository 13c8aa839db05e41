import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import { csrfTokenOf } from "../../../sessions/index.ts";
import type { App } from "../../app.ts";
import { PrincipalWire, principalWire } from "../../wire.ts";
import { clearedCookie, isSecure, sessionTokenOf } from "./cookies.ts";
import { type SessionRouteContext, SessionWire, sessionWire } from "./wire.ts";

const Reply = Type.Object({
  session: SessionWire,
  principal: PrincipalWire,
  csrfToken: Type.String({ description: "Send it as x-csrf-token on state-changing requests" }),
});

/** The console's own session: who is signed in, until when, and the CSRF token to send. */
export default function readSession(app: App, ctx: SessionRouteContext) {
  app.get(
    "/api/v1/session",
    {
      config: { access: "public" },
      schema: {
        summary: "The console session of this cookie, with its CSRF token",
        tags: ["session"],
        operationId: "getSession",
        response: { 200: Reply },
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      const token = sessionTokenOf(request);
      const session = request.consoleSession;
      if (!token || !session || !request.caller) {
        const headers: Record<string, string> = token
          ? { "set-cookie": clearedCookie(isSecure(ctx, request)) }
          : {};
        throw new Problem(kernelProblems.SESSION_INVALID, "no live console session", { headers });
      }
      return {
        session: sessionWire(session),
        principal: principalWire(request.caller.principal),
        csrfToken: csrfTokenOf(token),
      };
    },
  );
}
