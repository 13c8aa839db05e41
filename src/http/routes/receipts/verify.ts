import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { receiptProblems, verifyLimits } from "../../../receipts/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

const Body = Type.Object(
  {
    receipt: Type.String({ minLength: 1, maxLength: verifyLimits.jws_bytes_max }),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  valid: Type.Literal(true),
  profile: Type.String(),
  kid: Type.String(),
  header: Type.Record(Type.String(), Type.Unknown()),
  payload: Type.Record(Type.String(), Type.Unknown()),
  chain: Type.Optional(Type.Object({ ok: Type.Boolean(), length: Type.Integer() })),
});

type Spec = (typeof receiptProblems)[keyof typeof receiptProblems];

/** PEAC's verifier: checks a receipt this hub issued; an invalid one is a problem with its code. */
export default function verifyReceiptRoute(app: App, ctx: AppContext) {
  app.post(
    "/v1/verify",
    {
      schema: {
        summary: "Verify a receipt issued by this hub (signature, key, typ, times, chain)",
        tags: ["receipts"],
        operationId: "verifyReceipt",
        body: Body,
        response: { 200: Reply },
      },
    },
    async (request) => {
      const result = await ctx.receipts.verify(ctx.db.kysely, request.body.receipt);
      if (!result.valid) {
        const spec = (receiptProblems as Record<string, Spec>)[result.code];
        throw new Problem(spec ?? receiptProblems.RECEIPT_MALFORMED, result.reason);
      }
      const id = (result.payload.id ?? result.payload.jti) as string | undefined;
      const stored = id ? await ctx.receipts.get(ctx.db.kysely, id).catch(() => null) : null;
      if (stored?.chain_key) {
        const chain = await ctx.receipts.verifyChain(ctx.db.kysely, stored.chain_key);
        if (!chain.ok) throw new Problem(receiptProblems.RECEIPT_CHAIN_BROKEN, chain.reason);
        return { ...result, chain: { ok: true, length: chain.length } };
      }
      return result;
    },
  );
}
