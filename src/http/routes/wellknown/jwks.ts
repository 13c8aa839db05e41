import type { App } from "../../app.ts";
import { sendCached } from "../../cache.ts";
import type { AppContext } from "../../context.ts";

/** The receipt issuer's public keys: next, active and retired-within-overlap. */
export default function jwks(app: App, ctx: AppContext) {
  app.get(
    "/.well-known/jwks.json",
    {
      schema: {
        summary: "JSON Web Key Set of the receipt issuer (application/jwk-set+json)",
        tags: ["receipts"],
        operationId: "getJwks",
      },
    },
    async (request, reply) => {
      const keys = await ctx.keys.published(ctx.db.kysely);
      const body = JSON.stringify({ keys: keys.map((k) => k.public_jwk) });
      // Caches must not outlive the overlap, or a verifier could miss a newly active key.
      const max_age_s = Math.min(3600, Math.floor(ctx.config.receipt_key_overlap_ms / 1000));
      return sendCached(request, reply, body, {
        content_type: "application/jwk-set+json",
        max_age_s,
      });
    },
  );
}
