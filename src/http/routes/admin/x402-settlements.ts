import { Type } from "@sinclair/typebox";
import { limits } from "../../../kernel/limits.ts";
import { listPendingSettlements, type PendingSettlement } from "../../../x402/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

const State = Type.Union([
  Type.Literal("pending"),
  Type.Literal("settled"),
  Type.Literal("released"),
]);

const SettlementWire = Type.Object({
  subject: Type.Union([Type.Literal("order"), Type.Literal("pipeline")]),
  id: Type.String({ description: "The order's id, or the pipeline job's" }),
  buyer_id: Type.String(),
  state: State,
  network: Type.String({ description: "CAIP-2" }),
  token: Type.String(),
  pay_to: Type.String(),
  authorizer: Type.String({ description: "The EIP-3009 authorization's `from`" }),
  nonce: Type.String(),
  valid_before: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description:
      "From this block time on, an unused authorization can never be used (null: beyond any date)",
  }),
  valid_before_s: Type.String({ pattern: "^[0-9]+$", description: "The same, in Unix seconds" }),
  amount_atomic: Type.String({ pattern: "^[0-9]+$" }),
  tx_hash: Type.Union([Type.String(), Type.Null()], {
    description: "The settlement's transaction: booked, or the broadcast's when pending",
  }),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
});

/** The last second a JavaScript Date can show (a payer may sign a `validBefore` far beyond it). */
const LAST_DATE_S = 8_640_000_000_000n;

const wire = (p: PendingSettlement) => ({
  subject: p.subject,
  id: p.order_id,
  buyer_id: p.buyer_id,
  state: p.state,
  network: p.network,
  token: p.token,
  pay_to: p.pay_to,
  authorizer: p.authorizer,
  nonce: p.nonce,
  valid_before:
    p.valid_before <= LAST_DATE_S ? new Date(Number(p.valid_before) * 1000).toISOString() : null,
  valid_before_s: p.valid_before.toString(),
  amount_atomic: p.amount_atomic.toString(),
  tx_hash: p.tx_hash,
  created_at: new Date(p.created_at_ms).toISOString(),
  updated_at: new Date(p.updated_at_ms ?? p.created_at_ms).toISOString(),
});

/**
 * The operator's view of x402 settlements: every x402 payment's record, written with the payment
 * and ended with the call (or by the reconciler, from the chain). `state=pending` long after its
 * `valid_before` is what waits for an operator (a hub that cannot read the chain).
 */
export default function adminX402Settlements(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/admin/x402-settlements",
    {
      config: { access: "admin" },
      schema: {
        tags: ["admin", "payments"],
        security: [{ apiKey: [] }],
        summary: "x402 settlements and their reconciliation, by order or job (operator)",
        description:
          "Cursor pages `{items, next_cursor}` by id. Every x402 payment has one, written with " +
          "the payment: `pending` until the call (or the reconciler, reading the chain) ends it " +
          "as `settled` (booked) or `released` (refunded, nothing moved).",
        operationId: "adminListX402Settlements",
        querystring: Type.Object(
          {
            state: Type.Optional(State),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.page_size_max })),
            cursor: Type.Optional(Type.String({ pattern: "^(ord|job)_[0-9a-z]{26}$" })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(SettlementWire),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? limits.page_size_default;
      const items = await listPendingSettlements(ctx.db.kysely, {
        ...(q.state ? { state: q.state } : {}),
        after: q.cursor ?? null,
        limit: limit + 1,
      });
      const page = items.slice(0, limit);
      return {
        items: page.map(wire),
        next_cursor: items.length > limit ? (page.at(-1)?.order_id ?? null) : null,
      };
    },
  );
}
