import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { AccountWire, accountWire } from "../../wire.ts";

/** The caller's ledger accounts with posted, pending and available balances. */
export default function listBalances(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/balances",
    {
      config: { access: "read" },
      schema: {
        summary: "My balances per asset and account kind",
        tags: ["ledger"],
        operationId: "listBalances",
        security: [{ apiKey: [] }],
        response: { 200: Type.Object({ items: Type.Array(AccountWire) }) },
      },
    },
    async (request) => {
      const accounts = await ctx.ledger.accountsOf(ctx.db.kysely, callerOf(request).principal.id);
      return { items: accounts.map((a) => accountWire(ctx, a)) };
    },
  );
}
