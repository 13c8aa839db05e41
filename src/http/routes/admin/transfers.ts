import { type Static, Type } from "@sinclair/typebox";
import { limits } from "../../../kernel/limits.ts";
import type { TransferInput } from "../../../ledger/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { AssetCode, ClientId, DecimalAmount, Metadata } from "../../schemas.ts";
import { minorOf, TransferWire, transferWire } from "../../wire.ts";

const AccountId = Type.String({ pattern: "^acc_[0-9a-z]{26}$" });
const Movement = (op: "transfer" | "hold") =>
  Type.Object(
    {
      op: Type.Literal(op),
      id: ClientId,
      debit_account_id: AccountId,
      credit_account_id: AccountId,
      amount: DecimalAmount,
      asset: AssetCode,
      code: Type.String({ minLength: 1, maxLength: limits.transfer_code_chars_max }),
      ...(op === "hold"
        ? {
            timeout_ms: Type.Optional(
              Type.Integer({ minimum: 1, maximum: limits.hold_timeout_ms_max }),
            ),
          }
        : {}),
      metadata: Type.Optional(Metadata),
    },
    { additionalProperties: false },
  );
const CloseHold = (op: "post" | "void") =>
  Type.Object(
    {
      op: Type.Literal(op),
      id: ClientId,
      pending_id: ClientId,
      ...(op === "post" ? { amount: Type.Optional(DecimalAmount) } : {}),
      code: Type.Optional(Type.String({ minLength: 1, maxLength: limits.transfer_code_chars_max })),
      metadata: Type.Optional(Metadata),
    },
    { additionalProperties: false },
  );

const Body = Type.Object(
  {
    linked: Type.Optional(Type.Boolean({ description: "All transfers commit or none does" })),
    transfers: Type.Array(
      Type.Union([Movement("transfer"), Movement("hold"), CloseHold("post"), CloseHold("void")]),
      { minItems: 1, maxItems: limits.transfers_per_batch_max },
    ),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      result: Type.String(),
      field: Type.Optional(Type.String()),
      transfer: Type.Optional(TransferWire),
    }),
  ),
});

/**
 * Raw ledger access for the operator: a batch of transfers, holds, posts and voids, answered
 * with one result code per transfer (TigerBeetle style) rather than failing the whole request.
 */
export default function adminTransfers(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/admin/transfers",
    {
      config: { access: "admin" },
      schema: {
        summary: "Create a batch of ledger transfers (operator)",
        tags: ["admin", "ledger"],
        operationId: "adminCreateTransfers",
        security: [{ apiKey: [] }],
        body: Body,
        response: { 200: Reply },
      },
    },
    async (request, reply) => {
      const inputs: TransferInput[] = [];
      for (const [i, t] of request.body.transfers.entries()) {
        inputs.push(await toInput(ctx, t, inputs, `/transfers/${i}/amount`));
      }
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const results = await ctx.ledger.createTransfers(tx, inputs, {
          linked: request.body.linked ?? false,
        });
        return {
          results: results.map((r) => ({
            id: r.id,
            result: r.result,
            ...(r.field ? { field: r.field } : {}),
            ...(r.transfer ? { transfer: transferWire(ctx, r.transfer) } : {}),
          })),
        };
      });
    },
  );
}

type BodyTransfer = Static<typeof Body>["transfers"][number];

/** Wire transfer → ledger input. A partial post's amount is in its hold's (immutable) asset. */
async function toInput(
  ctx: AppContext,
  t: BodyTransfer,
  earlier: TransferInput[],
  pointer: string,
): Promise<TransferInput> {
  const meta = t.metadata ? { metadata: t.metadata } : {};
  if (t.op === "transfer" || t.op === "hold") {
    const { amount, ...rest } = t;
    return { ...rest, ...meta, amount_minor: minorOf(ctx, amount, t.asset, pointer) };
  }
  if (t.op === "post" && t.amount !== undefined) {
    const { amount, ...rest } = t;
    const inBatch = earlier.find((e) => e.op === "hold" && e.id === t.pending_id);
    const asset =
      inBatch?.op === "hold"
        ? inBatch.asset
        : (await ctx.ledger.getTransfer(ctx.db.kysely, t.pending_id))?.asset;
    // An unknown hold is reported by the ledger as pending_not_found; the amount is not used.
    const amount_minor = asset ? minorOf(ctx, amount, asset, pointer) : 1n;
    return { ...rest, ...meta, amount_minor };
  }
  const { ...rest } = t;
  return { ...rest, ...meta } as TransferInput;
}
