import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

const started_at = new Date().toISOString();

/** Liveness: the process answers. Does not touch the database. */
export default function health(app: App, _ctx: AppContext) {
  app.get(
    "/health",
    {
      schema: {
        summary: "Liveness probe",
        tags: ["system"],
        operationId: "health",
        response: {
          200: Type.Object({ status: Type.Literal("ok"), started_at: Type.String() }),
        },
      },
    },
    async () => ({ status: "ok" as const, started_at }),
  );
}
