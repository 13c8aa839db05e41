import { Type } from "@sinclair/typebox";
import { retryEscrowAction } from "../../../flows/escrow-chain.ts";
import { limits } from "../../../kernel/limits.ts";
import { type EscrowAction, listEscrowActions } from "../../../x402/escrow-actions.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";

const OrderId = Type.String({ pattern: "^ord_[0-9a-z]{26}$" });
const State = Type.Union([
  Type.Literal("pending"),
  Type.Literal("broadcast"),
  Type.Literal("done"),
  Type.Literal("failed"),
]);

const EscrowActionWire = Type.Object({
  order_id: Type.String(),
  action: Type.Union([Type.Literal("release"), Type.Literal("refund")]),
  chain: Type.String({ description: "CAIP-2" }),
  escrow_address: Type.String(),
  order_ref: Type.String(),
  state: State,
  tx_hash: Type.Union([Type.String(), Type.Null()]),
  error_code: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer({ description: "Transactions broadcast for it" }),
  actor_id: Type.String(),
  reason: Type.String(),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
});

const wire = (a: EscrowAction) => ({
  order_id: a.order_id,
  action: a.action,
  chain: a.chain,
  escrow_address: a.escrow_address,
  order_ref: a.order_ref,
  state: a.state,
  tx_hash: a.tx_hash,
  error_code: a.error_code,
  error: a.error,
  attempts: a.attempts,
  actor_id: a.actor_id,
  reason: a.reason,
  created_at: new Date(a.created_at_ms).toISOString(),
  updated_at: new Date(a.updated_at_ms).toISOString(),
});

/**
 * The operator's view of on-chain escrow releases and refunds (arbitrated escrow contracts), and
 * the retry of a failed one.
 */
export default function adminEscrowActions(app: App, ctx: AppContext) {
  const common = { tags: ["admin", "payments"], security: [{ apiKey: [] }] };

  app.get(
    "/api/v1/admin/escrow-actions",
    {
      config: { access: "admin" },
      schema: {
        ...common,
        summary: "On-chain escrow releases and refunds by order (operator)",
        description:
          "Cursor pages `{items, next_cursor}` by order id; `state=failed` lists the ones that " +
          "wait for an operator (each with its error code and detail).",
        operationId: "adminListEscrowActions",
        querystring: Type.Object(
          {
            state: Type.Optional(State),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.page_size_max })),
            cursor: Type.Optional(OrderId),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(EscrowActionWire),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? limits.page_size_default;
      const items = await listEscrowActions(ctx.db.kysely, {
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

  app.post(
    "/api/v1/admin/escrow-actions/:orderId/retry",
    {
      config: { access: "admin" },
      schema: {
        ...common,
        summary: "Retry a failed on-chain escrow release or refund (operator)",
        description:
          "The action is open again and runs at once: a lock that ended meanwhile is finished " +
          "from its log, one still locked is sent again; the payment moves only when that is " +
          "mined. ESCROW_ACTION_NOT_FAILED unless it failed.",
        operationId: "adminRetryEscrowAction",
        params: Type.Object({ orderId: OrderId }),
        response: { 202: EscrowActionWire },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 202, async (tx) =>
        wire(await retryEscrowAction(tx, ctx, request.params.orderId)),
      ),
  );
}
