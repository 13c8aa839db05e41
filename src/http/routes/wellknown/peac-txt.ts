import type { App } from "../../app.ts";
import { sendCached } from "../../cache.ts";
import type { AppContext } from "../../context.ts";

/** The hub's access policy at PEAC's discovery path and its fallback. */
export default function peacTxt(app: App, ctx: AppContext) {
  for (const [url, operationId] of [
    ["/.well-known/peac.txt", "getPeacTxt"],
    ["/peac.txt", "getPeacTxtFallback"],
  ] as const) {
    app.get(
      url,
      {
        schema: {
          summary: "PEAC access policy (peac.txt)",
          tags: ["peac"],
          operationId,
          produces: ["text/plain"],
        },
      },
      async (request, reply) =>
        sendCached(request, reply, ctx.policy.text, {
          content_type: "text/plain; charset=utf-8",
          max_age_s: 600,
        }),
    );
  }
}
