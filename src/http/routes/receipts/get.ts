import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { receiptProblems } from "../../../receipts/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { ReceiptWire, receiptWire } from "./wire.ts";

const RECEIPT_ID = /^rcpt_[0-9a-z]{26}$/;

/**
 * A stored receipt by id (PEAC) or by payment nonce (AI Market Protocol). Receipts are made to
 * be shown to third parties and their ids carry 80 random bits, so the id is the capability:
 * these routes need no key, like the `PEAC-Receipt-Pointer` URLs that point at them.
 */
export default function getReceipt(app: App, ctx: AppContext) {
  app.get(
    "/peac/receipts/:id",
    {
      schema: {
        summary: "Get a receipt by id",
        tags: ["receipts"],
        operationId: "getReceipt",
        params: Type.Object({ id: Type.String({ pattern: "^rcpt_[0-9a-z]{26}$" }) }),
        response: { 200: ReceiptWire },
      },
    },
    async (request) => receiptWire(await ctx.receipts.get(ctx.db.kysely, request.params.id)),
  );
  app.get(
    "/ai-market/receipt/:nonce",
    {
      schema: {
        summary: "Get the receipt of a payment nonce (AI Market Protocol)",
        tags: ["receipts", "ai-market"],
        operationId: "getAimpReceipt",
        params: Type.Object({ nonce: Type.String({ pattern: "^[A-Za-z0-9_.:-]{1,128}$" }) }),
        response: { 200: ReceiptWire },
      },
    },
    async (request) => {
      const { nonce } = request.params;
      // Channel payments store their payment nonce; an invoke answer's AIMP receipt carries the
      // hub receipt's id as its nonce, so that id finds the receipt too.
      const r = await ctx.receipts.byNonce(ctx.db.kysely, nonce);
      if (!r && RECEIPT_ID.test(nonce))
        return receiptWire(await ctx.receipts.get(ctx.db.kysely, nonce));
      if (!r) throw new Problem(receiptProblems.RECEIPT_NOT_FOUND, "no receipt for this nonce");
      return receiptWire(r);
    },
  );
}
