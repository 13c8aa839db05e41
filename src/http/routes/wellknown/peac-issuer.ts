import type { App } from "../../app.ts";
import { sendCached } from "../../cache.ts";
import type { AppContext } from "../../context.ts";

/** PEAC issuer configuration (peac-issuer/0.1): where the keys are, what is signed, revocations. */
export default function peacIssuer(app: App, ctx: AppContext) {
  app.get(
    "/.well-known/peac-issuer.json",
    {
      schema: {
        summary: "PEAC issuer configuration (peac-issuer/0.1)",
        tags: ["receipts"],
        operationId: "getPeacIssuer",
      },
    },
    async (request, reply) => {
      const base = ctx.publicUrl();
      const revoked = await ctx.keys.revoked(ctx.db.kysely);
      const doc = {
        version: "peac-issuer/0.1",
        issuer: ctx.receipts.issuers().wire,
        jwks_uri: `${base}/.well-known/jwks.json`,
        verify_endpoint: `${base}/v1/verify`,
        receipt_versions: ["peac.receipt/0.9", "interaction-record+jwt"],
        algorithms: ["EdDSA"],
        payment_rails: ["agx-ledger", "x402"],
        revoked_keys: revoked.slice(0, 100).map((k) => ({
          kid: k.kid,
          revoked_at: new Date(k.revoked_at_ms ?? 0).toISOString(),
          ...(k.revoke_reason ? { reason: k.revoke_reason } : {}),
        })),
      };
      return sendCached(request, reply, JSON.stringify(doc), {
        content_type: "application/json",
        max_age_s: 300,
      });
    },
  );
}
