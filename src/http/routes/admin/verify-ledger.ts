import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

const Report = Type.Object({
  ok: Type.Boolean(),
  sums: Type.Array(Type.Object({ asset: Type.String(), sum_minor: Type.String() })),
  accounts_checked: Type.Integer(),
  entries_checked: Type.Integer(),
  failures: Type.Array(
    Type.Object({ check: Type.String(), subject: Type.String(), detail: Type.String() }),
  ),
});

/** Proves the ledger: zero sum per asset and every balance equal to its entries. */
export default function adminVerify(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/admin/ledger/verify",
    {
      config: { access: "admin" },
      schema: {
        summary: "Verify the whole ledger (operator)",
        tags: ["admin", "ledger"],
        operationId: "adminVerifyLedger",
        security: [{ apiKey: [] }],
        response: { 200: Report },
      },
    },
    async () => {
      const report = await ctx.ledger.verify(ctx.db.kysely);
      return {
        ...report,
        sums: report.sums.map((s) => ({ asset: s.asset, sum_minor: s.sum_minor.toString() })),
      };
    },
  );
}
