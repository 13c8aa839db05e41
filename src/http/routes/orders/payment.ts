import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type EscrowLockProof, escrowProofsFor } from "../../../flows/escrow-proof.ts";
import { type TxPaymentProof, txProofOf, txProofsFor } from "../../../flows/tx-proof.ts";
import { Problem } from "../../../kernel/problem.ts";
import { type Order, orderProblems } from "../../../orders/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { actorIdOf } from "../../purchaser.ts";
import { AgentHeader, DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import { OrderId, OrderWire, orderFor, orderWire, payeesOf } from "./wire.ts";

const Reply = Type.Object({ order: OrderWire, receipt: Type.Optional(Type.String()) });

/**
 * payment-intent, payment (prepaid/channel), escrow-lock (escrow: the hub's ledger; onchain-escrow:
 * a lock transaction, src/flows/escrow-proof.ts) and payment-proof (tx hash or attestation).
 */
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
        return { order: orderWire(ctx, next, payment, await payeesOf(ctx, tx, next)) };
      }),
  );

  const Pay = Type.Object(
    {
      amount: Type.Optional(DecimalAmount),
      channel_id: Type.Optional(Type.String({ pattern: "^ch_[0-9a-z]{26}$" })),
    },
    { additionalProperties: false },
  );

  app.post(
    "/api/v1/market/orders/:id/payment",
    common("Pay the order on its rail (prepaid balance or channel)", "payOrder", Pay),
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, request.params.id, ["buyer"]);
        const b = request.body as { amount?: string; channel_id?: string };
        const actor = { id: actorIdOf(request, order), reason: "payment" };
        const paid = await ctx.purchases.pay(tx, order, actor, {
          ...(b.amount ? { amount_minor: minorOf(ctx, b.amount, order.asset, "/amount") } : {}),
          ...(b.channel_id ? { channel_id: b.channel_id } : {}),
        });
        return { order: orderWire(ctx, paid.order, paid.payment), receipt: paid.receipt.jws };
      }),
  );
  escrowLockRoute(app, ctx, common);

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

const EscrowLock = Type.Object(
  {
    amount: Type.Optional(DecimalAmount),
    /** Accepted for compatibility; the ledger escrow rail takes no channel. */
    channel_id: Type.Optional(Type.String({ pattern: "^ch_[0-9a-z]{26}$" })),
    tx_hash: Type.Optional(
      Type.String({ minLength: 32, maxLength: 128, pattern: "^[0-9A-Za-z]+$" }),
    ),
    chain: Type.Optional(Type.String({ pattern: "^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$" })),
    escrow_address: Type.Optional(Type.String({ pattern: "^0x[0-9a-fA-F]{40}$" })),
  },
  { additionalProperties: false },
);
type EscrowLockBody = {
  amount?: string;
  channel_id?: string;
  tx_hash?: string;
  chain?: string;
  escrow_address?: string;
};

/**
 * POST …/payment/escrow-lock, as peaq routes both escrow rails: `escrow` locks the price from the
 * buyer's hub balance; `onchain-escrow` takes `{tx_hash, chain, escrow_address?}`, checked on
 * chain before the write transaction and claimed and booked in it. Idempotent once held.
 */
function escrowLockRoute(
  app: App,
  ctx: AppContext,
  common: (s: string, o: string, b?: ReturnType<typeof Type.Object>) => object,
) {
  app.post(
    "/api/v1/market/orders/:id/payment/escrow-lock",
    common(
      "Lock the price in escrow: the hub's ledger (escrow rail), or prove an on-chain lock " +
        "{tx_hash, chain, escrow_address?} (onchain-escrow: the lock event is verified over RPC " +
        "when the hub has the chain's escrow contract, else recorded unverified)",
      "lockEscrow",
      EscrowLock,
    ),
    async (request, reply) => {
      const params = request.params as { id: string };
      const b = request.body as EscrowLockBody;
      const { order: seen } = await orderFor(ctx, ctx.db.kysely, request, params.id, ["buyer"]);
      if (seen.rail === "onchain-escrow") {
        return lockOnChain(ctx, request, reply, seen, b);
      }
      if (b.tx_hash !== undefined || b.chain !== undefined || b.escrow_address !== undefined) {
        throw new Problem(
          orderProblems.PAYMENT_PROOF_INVALID,
          `order ${seen.id} is on ${seen.rail}; a lock transaction proves onchain-escrow orders`,
        );
      }
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const { order } = await orderFor(ctx, tx, request, params.id, ["buyer"]);
        if (order.rail !== "escrow") {
          throw new Problem(
            orderProblems.PAYMENT_RAIL_UNSUPPORTED,
            `order ${order.id} is on ${order.rail}, not escrow or onchain-escrow`,
          );
        }
        const actor = { id: actorIdOf(request, order), reason: "escrow lock" };
        const paid = await ctx.purchases.pay(tx, order, actor, {
          ...(b.amount ? { amount_minor: minorOf(ctx, b.amount, order.asset, "/amount") } : {}),
        });
        return { order: orderWire(ctx, paid.order, paid.payment), receipt: paid.receipt.jws };
      });
    },
  );
}

/** An onchain-escrow lock proof: chain check outside, claim and state change inside writeTx. */
async function lockOnChain(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  seen: Order,
  b: EscrowLockBody,
) {
  const id = seen.id;
  const proof = txProofOf({ tx_hash: b.tx_hash, chain: b.chain });
  if (!proof) {
    throw new Problem(
      orderProblems.PAYMENT_PROOF_INVALID,
      "an onchain-escrow lock needs {tx_hash, chain} (CAIP-2; an EVM hash is 0x and 64 hex digits)",
    );
  }
  const lock: EscrowLockProof = {
    ...proof,
    ...(b.escrow_address ? { escrow_address: b.escrow_address } : {}),
  };
  const escrows = escrowProofsFor(ctx);
  const check = await escrows.check(ctx.db.kysely, seen, lock);
  return writeTx(ctx, request, reply, 200, async (tx) => {
    const { order } = await orderFor(ctx, tx, request, id, ["buyer"]);
    const actor = { id: actorIdOf(request, order), reason: "escrow lock" };
    const amount = b.amount ? minorOf(ctx, b.amount, order.asset, "/amount") : undefined;
    const paid = await escrows.pay(tx, order, actor, check, amount);
    return {
      order: orderWire(ctx, paid.order, paid.payment),
      ...(paid.receipt ? { receipt: paid.receipt.jws } : {}),
    };
  });
}
