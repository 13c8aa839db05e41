import { Type } from "@sinclair/typebox";
import { identityProblems } from "../../../identity/index.ts";
import { Problem } from "../../../kernel/problem.ts";
import { transferProblem } from "../../../ledger/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { AssetCode, ClientId, DecimalAmount, Metadata } from "../../schemas.ts";
import { minorOf, TransferWire, transferWire } from "../../wire.ts";

const Body = Type.Object(
  {
    id: ClientId,
    owner_id: Type.String({ pattern: "^prn_[0-9a-z]{26}$" }),
    amount: DecimalAmount,
    asset: AssetCode,
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

/**
 * Deposits and withdrawals recorded by the operator (money entering or leaving the hub through
 * the external account). The on-chain rails call the same ledger functions.
 */
export function movementRoute(direction: "deposit" | "withdraw") {
  const path = direction === "deposit" ? "/api/v1/admin/deposits" : "/api/v1/admin/withdrawals";
  return (app: App, ctx: AppContext) => {
    app.post(
      path,
      {
        config: { access: "admin" },
        schema: {
          summary:
            direction === "deposit"
              ? "Record money arriving for a principal (operator)"
              : "Record money leaving for a principal (operator)",
          tags: ["admin", "ledger"],
          operationId: direction === "deposit" ? "adminDeposit" : "adminWithdraw",
          security: [{ apiKey: [] }],
          body: Body,
          response: {
            201: Type.Object({ result: Type.String(), transfer: TransferWire }),
            200: Type.Object({ result: Type.String(), transfer: TransferWire }),
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const amount_minor = minorOf(ctx, b.amount, b.asset, "/amount");
        const owner = await ctx.identity.getPrincipal(ctx.db.kysely, b.owner_id);
        if (!owner) {
          throw new Problem(
            identityProblems.IDENTITY_PRINCIPAL_NOT_FOUND,
            `no principal ${b.owner_id}`,
          );
        }
        const spec = {
          id: b.id,
          owner_id: owner.id,
          amount_minor,
          asset: b.asset,
          ...(b.code ? { code: b.code } : {}),
          ...(b.metadata ? { metadata: b.metadata } : {}),
        };
        const existing = await ctx.ledger.getTransfer(ctx.db.kysely, b.id);
        return writeTx(ctx, request, reply, existing ? 200 : 201, async (tx) => {
          const r =
            direction === "deposit"
              ? await ctx.ledger.deposit(tx, spec)
              : await ctx.ledger.withdraw(tx, spec);
          if ((r.result !== "created" && r.result !== "exists") || !r.transfer) {
            throw transferProblem(r);
          }
          return { result: r.result, transfer: transferWire(ctx, r.transfer) };
        });
      },
    );
  };
}
