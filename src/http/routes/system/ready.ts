import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

/** Readiness: the database answers. 503 NOT_READY otherwise. */
export default function ready(app: App, ctx: AppContext) {
  app.get(
    "/ready",
    {
      schema: {
        summary: "Readiness probe (database reachable)",
        tags: ["system"],
        operationId: "ready",
        response: {
          200: Type.Object({ status: Type.Literal("ready"), database: Type.String() }),
        },
      },
    },
    async (request) => {
      try {
        await ctx.db.ping();
      } catch (error) {
        request.log.warn({ err: error }, "database ping failed");
        throw new Problem(kernelProblems.NOT_READY, "the database is not reachable");
      }
      return { status: "ready" as const, database: ctx.db.dialect };
    },
  );
}
