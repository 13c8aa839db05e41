import { limits } from "../../../kernel/limits.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { Page, PageQuery } from "../../schemas.ts";
import { TransferWire, transferWire } from "../../wire.ts";

/** Transfers touching the caller's accounts, newest first, by cursor. */
export default function listTransfers(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/transfers",
    {
      config: { access: "read" },
      schema: {
        summary: "My ledger history, newest first",
        tags: ["ledger"],
        operationId: "listTransfers",
        security: [{ apiKey: [] }],
        querystring: PageQuery,
        response: { 200: Page(TransferWire) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? limits.page_size_default;
      const accounts = await ctx.ledger.accountsOf(ctx.db.kysely, callerOf(request).principal.id);
      const rows = await ctx.ledger.listTransfers(
        ctx.db.kysely,
        accounts.map((a) => a.id),
        request.query.cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((t) => transferWire(ctx, t)),
        next_cursor: rows.length > limit && last ? last.id : null,
      };
    },
  );
}
