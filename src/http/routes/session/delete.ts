import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { App } from "../../app.ts";
import { clearedCookie, isSecure } from "./cookies.ts";
import type { SessionRouteContext } from "./wire.ts";

/** Sign-out: the session ends at once and the cookie is cleared (needs the CSRF token). */
export default function deleteSession(app: App, ctx: SessionRouteContext) {
  app.delete(
    "/api/v1/session",
    {
      config: { access: "read" },
      schema: {
        summary: "Sign out: end this console session and clear its cookie",
        tags: ["session"],
        operationId: "deleteSession",
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const session = request.consoleSession;
      if (!session) {
        throw new Problem(kernelProblems.SESSION_INVALID, "no console session: send its cookie");
      }
      await ctx.sessions.signOut(ctx.db.kysely, session.id);
      reply.header("set-cookie", clearedCookie(isSecure(ctx, request)));
      return reply.code(204).send(null);
    },
  );
}
