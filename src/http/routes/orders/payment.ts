import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type TxPaymentProof, txProofOf, txProofsFor } from "../../../flows/tx-proof.ts";
import { Problem } from "../../../kernel/problem.ts";
import { orderProblems } from "../../../orders/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { actorIdOf } from "../../purchaser.ts";
import { AgentHeader, DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import { OrderId, OrderWire, orderFor, orderWire } from "./wire.ts";

const Reply = Type.Object({ order: OrderWire, receipt: Type.Optional(Type.String()) });

/** payment-intent, payment (prepaid/channel), escrow-lock and payment-proof (offchain-record). */
export default function paymentRoutes(app: App, ctx: AppContext) {
  const common = (summary: string, operationId: string, body?: ReturnType<typeof Type.Object>) => ({
    config: { access: "write_or_agent" as const },
    schema: {
      summary,
      tags: ["orders"],
      operationId,
      security: [{ apiKey: [] }, { agentPairingToken: [] }],
      headers: AgentHeader,
      params: OrderId,
      ...(body ? { body } : {}),
      response: { 200: Reply },
    },
  });

  app.post(
    "/api/v1/market/orders/:id/payment-intent",
    common(
      "Create (or return) the payment intent; free orders become ready",
      "createPaymentIntent",
    ),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["buyer"]);
        const actor = { id: actorIdOf(request, order), reason: "payment intent" };
        const { order: next, payment } = await ctx.purchases.paymentIntent(tx, order, actor);
        return { order: orderWire(ctx, next, payment) };
      }),
  );

  const Pay = Type.Object(
    {
      amount: Type.Optional(DecimalAmount),
      channel_id: Type.Optional(Type.String({ pattern: "^ch_[0-9a-z]{26}$" })),
    },
    { additionalProperties: false },
  );

  const payRoute = (path: string, summary: string, operationId: string, rail: "escrow" | null) =>
    app.post(path, common(summary, operationId, Pay), async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["buyer"]);
        const b = request.body as { amount?: string; channel_id?: string };
        const actor = {
          id: actorIdOf(request, order),
          reason: rail ? "escrow lock" : "payment",
        };
        if (rail && order.rail !== rail) {
          throw new Problem(
            orderProblems.PAYMENT_RAIL_UNSUPPORTED,
            `order ${order.id} is on ${order.rail}, not ${rail}`,
          );
        }
        const paid = await ctx.purchases.pay(tx, order, actor, {
          ...(b.amount ? { amount_minor: minorOf(ctx, b.amount, order.asset, "/amount") } : {}),
          ...(b.channel_id ? { channel_id: b.channel_id } : {}),
        });
        return { order: orderWire(ctx, paid.order, paid.payment), receipt: paid.receipt.jws };
      }),
    );
  payRoute(
    "/api/v1/market/orders/:id/payment",
    "Pay the order on its rail (prepaid balance or channel)",
    "payOrder",
    null,
  );
  payRoute(
    "/api/v1/market/orders/:id/payment/escrow-lock",
    "Lock the price in escrow (escrow rail)",
    "lockEscrow",
    "escrow",
  );

  const Proof = Type.Object(
    {
      proof: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 20 }),
      amount: Type.Optional(DecimalAmount),
    },
    { additionalProperties: false },
  );
  app.post(
    "/api/v1/market/orders/:id/payment-proof",
    common(
      "Submit a payment proof: `{tx_hash, chain}` (an ERC-20 transfer to the hub, verified " +
        "over RPC and claimed once, ever) or an attestation (offchain-record, unverified)",
      "submitPaymentProof",
      Proof,
    ),
    async (request, reply) => {
      const b = request.body as { proof: Record<string, unknown>; amount?: string };
      const txProof = txProofOf(b.proof);
      if (txProof) return payWithTxProof(ctx, request, reply, request.params.id, txProof);
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["buyer"]);
        const paid = await ctx.purchases.pay(
          tx,
          order,
          { id: actorIdOf(request, order), reason: "payment proof" },
          {
            proof: b.proof,
            ...(b.amount ? { amount_minor: minorOf(ctx, b.amount, order.asset, "/amount") } : {}),
          },
        );
        return { order: orderWire(ctx, paid.order, paid.payment), receipt: paid.receipt.jws };
      });
    },
  );
}

/**
 * A transaction-hash proof: checked on chain before the write transaction (it waits on the
 * network), then claimed and booked in it (src/flows/tx-proof.ts).
 */
async function payWithTxProof(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  proof: TxPaymentProof,
) {
  const proofs = txProofsFor(ctx);
  const { order: seen } = await orderFor(ctx, ctx.db.kysely, request, id, ["buyer"]);
  const check = await proofs.checkOrderProof(ctx.db.kysely, seen, proof);
  return writeTx(ctx, request, reply, 200, async (tx) => {
    const { order } = await orderFor(ctx, tx, request, id, ["buyer"]);
    const actor = { id: actorIdOf(request, order), reason: "transaction proof" };
    const paid = await proofs.payOrder(tx, order, actor, check);
    return {
      order: orderWire(ctx, paid.order, paid.payment),
      ...(paid.receipt ? { receipt: paid.receipt.jws } : {}),
    };
  });
}
