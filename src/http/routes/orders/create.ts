import { Type } from "@sinclair/typebox";
import { txProofTermsOf } from "../../../flows/tx-proof.ts";
import { Problem } from "../../../kernel/problem.ts";
import { orderProblems, rails } from "../../../orders/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { purchaserOf } from "../../purchaser.ts";
import { AgentHeader } from "../../schemas.ts";
import { OrderWire, orderWire, payeesOf } from "./wire.ts";

const Body = Type.Object(
  {
    quote_id: Type.Optional(Type.String({ pattern: "^qt_[0-9a-z]{26}$" })),
    service_id: Type.Optional(Type.String({ pattern: "^svc_[0-9a-z]{26}$" })),
    operation: Type.Optional(Type.String({ maxLength: 40 })),
    input: Type.Optional(Type.Unknown()),
    rail: Type.Union(rails.map((r) => Type.Literal(r))),
    client_ref: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_.:-]{1,64}$" })),
  },
  { additionalProperties: false },
);

/** Creates an order from a quote (or a service's current price). Replays by client_ref. */
export default function createOrderRoute(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/market/orders",
    {
      config: { access: "write_or_agent" },
      schema: {
        summary: "Create an order from a quote (QUOTE_EXPIRED when stale)",
        tags: ["orders"],
        operationId: "createOrder",
        description:
          "A paired agent may buy for its machine with `x-agent-pairing-token` instead of a key: " +
          "the pairing's delegation policy is checked now and its spend limits when paying. " +
          "Rail `wdk-usdt-transfer`: send the token to the hub's address yourself, then prove it " +
          "with POST …/payment-proof {proof: {tx_hash, chain}} (verified over RPC, once). " +
          "Rail `onchain-escrow`: lock the price in the escrow contract with orderRef = " +
          "keccak256(order id), then POST …/payment/escrow-lock {tx_hash, chain}. Rail `mpp` " +
          "(and any Solana proof): recorded only, `verification: recorded`. See docs/rails.md.",
        security: [{ apiKey: [] }, { agentPairingToken: [] }],
        headers: AgentHeader,
        body: Body,
        response: { 201: OrderWire, 200: OrderWire },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.rail === "wdk-usdt-transfer" && txProofTermsOf(ctx.config).pay_to === null) {
        throw new Problem(
          orderProblems.PAYMENT_RAIL_UNSUPPORTED,
          "this hub has no receiving address for transfers (AGX_X402_PAY_TO)",
        );
      }
      const purchaser = await purchaserOf(ctx, ctx.db.kysely, request, { recheck: true });
      let created = false;
      return writeTx(
        ctx,
        request,
        reply,
        () => (created ? 201 : 200),
        async (tx) => {
          const made = await ctx.purchases.createOrder(tx, {
            buyer_id: purchaser.buyer_id,
            ...(purchaser.delegated ? { delegated: purchaser.delegated } : {}),
            rail: b.rail,
            input: b.input ?? null,
            client_ref: b.client_ref ?? null,
            ...(b.quote_id ? { quote_id: b.quote_id } : {}),
            ...(b.service_id ? { service_id: b.service_id } : {}),
            ...(b.operation ? { operation: b.operation } : {}),
          });
          created = made.created;
          return orderWire(ctx, made.order, null, await payeesOf(ctx, tx, made.order));
        },
      );
    },
  );
}
