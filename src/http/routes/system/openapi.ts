import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

/** The OpenAPI 3.1 document generated from every route's schema. */
export default function openapi(app: App, _ctx: AppContext) {
  app.get("/openapi.json", { schema: { hide: true } }, async (_request, reply) =>
    reply.type("application/json").send(app.swagger()),
  );
}
