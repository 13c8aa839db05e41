import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { lockEventOf } from "../../../config.ts";
import type { Executor } from "../../../db/db.ts";
import { orderRefOf } from "../../../flows/escrow-proof.ts";
import { txProofTermsOf } from "../../../flows/tx-proof.ts";
import { scopeCovers } from "../../../identity/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import { type Order, orderProblems, type Payment } from "../../../orders/index.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { pairingTokenOf, purchaserOf } from "../../purchaser.ts";
import { moneyWire } from "../../wire.ts";

export const OrderId = Type.Object({ id: Type.String({ pattern: "^ord_[0-9a-z]{26}$" }) });

export const OrderWire = Type.Object({
  id: Type.String(),
  status: Type.String(),
  buyer_id: Type.String(),
  provider_id: Type.String(),
  service: Type.Object({ id: Type.String(), ref: Type.String() }),
  skill_key: Type.String(),
  operation: Type.String(),
  price: Type.Object({ amount: Type.String(), amount_minor: Type.String(), asset: Type.String() }),
  fee: Type.Object({ amount: Type.String(), amount_minor: Type.String(), asset: Type.String() }),
  rail: Type.String(),
  quote_id: Type.Union([Type.String(), Type.Null()]),
  client_ref: Type.Union([Type.String(), Type.Null()]),
  handoff: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  payment: Type.Union([
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      rail: Type.String(),
      verification: Type.String(),
      hold_id: Type.Union([Type.String(), Type.Null()]),
      channel_id: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  /** How to pay an order on a rail the buyer pays on chain itself; null on every other rail. */
  payment_instructions: Type.Union([
    Type.Object({
      pay_to: Type.Union([Type.String(), Type.Null()]),
      amount: Type.String(),
      amount_minor: Type.String(),
      asset: Type.String(),
      /** Chains and token contracts the hub takes for this asset; `verified`: it has an RPC. */
      chains: Type.Array(
        Type.Object({
          chain: Type.String(),
          token: Type.Union([Type.String(), Type.Null()]),
          escrow: Type.Union([Type.String(), Type.Null()]),
          verified: Type.Boolean(),
        }),
      ),
      /** Where the proof goes, its body, and who may send the money. */
      proof: Type.Object({ method: Type.String(), path: Type.String(), body: Type.Unknown() }),
      sender: Type.String(),
      order_ref: Type.Union([Type.String(), Type.Null()]),
      /**
       * onchain-escrow on an arbitrated escrow: the addresses the provider proved it controls,
       * one of which the lock must name as its payee; null where not read (GET the order).
       */
      payees: Type.Union([Type.Array(Type.String()), Type.Null()]),
    }),
    Type.Null(),
  ]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

/**
 * What a buyer needs to pay a `wdk-usdt-transfer` or `onchain-escrow` order on chain: where to
 * send (the hub's address, or the configured escrow contract), how much, which chains and tokens
 * the hub verifies, and where the proof goes. From the hub's configuration; no secret in it.
 */
function paymentInstructionsOf(ctx: AppContext, o: Order, payees: readonly string[] | null) {
  if (o.rail !== "wdk-usdt-transfer" && o.rail !== "onchain-escrow") return null;
  const terms = txProofTermsOf(ctx.config);
  const escrow = o.rail === "onchain-escrow";
  const chains = new Set<string>();
  for (const key of Object.keys(terms.tokens)) {
    const [chain, asset] = key.split("/");
    if (chain && asset === o.asset) chains.add(chain);
  }
  if (escrow) for (const chain of Object.keys(ctx.config.evm_escrow)) chains.add(chain);
  const money = moneyWire(ctx, o.amount_minor, o.asset);
  return {
    pay_to: escrow ? null : terms.pay_to,
    amount: money.amount,
    amount_minor: money.amount_minor,
    asset: o.asset,
    chains: [...chains].sort().map((chain) => ({
      chain,
      token: terms.tokens[`${chain}/${o.asset}`] ?? null,
      escrow: escrow ? (ctx.config.evm_escrow[chain]?.address ?? null) : null,
      verified: chain in terms.rpc_urls && (!escrow || chain in ctx.config.evm_escrow),
    })),
    proof: escrow
      ? {
          method: "POST",
          path: `/api/v1/market/orders/${o.id}/payment/escrow-lock`,
          body: { tx_hash: "0x…", chain: "eip155:…" },
        }
      : {
          method: "POST",
          path: `/api/v1/market/orders/${o.id}/payment-proof`,
          body: { proof: { tx_hash: "0x…", chain: "eip155:…" } },
        },
    sender: "an address bound to the buyer's account (key bindings), or the paired agent's",
    order_ref: escrow ? orderRefOf(o.id) : null,
    payees: escrow && payees ? [...payees] : null,
  };
}

/** Whether some configured escrow is arbitrated: its lock event names `address payee`. */
function arbitratedEscrow(ctx: AppContext): boolean {
  return Object.values(ctx.config.evm_escrow).some((e) =>
    lockEventOf(e.lock_event).inputs.some((i) => i.name === "payee" && i.type === "address"),
  );
}

/**
 * The payees an onchain-escrow order's lock may name on an arbitrated escrow: the provider's
 * bound EVM addresses (a lock for any other payee is refused, PAYMENT_PROOF_INVALID). Null for
 * other orders, or when no configured escrow is arbitrated.
 */
export async function payeesOf(ctx: AppContext, ex: Executor, o: Order): Promise<string[] | null> {
  if (o.rail !== "onchain-escrow" || !arbitratedEscrow(ctx)) return null;
  const bound = await ctx.machines.bindings.list(ex, o.provider_id);
  return bound.flatMap((b) => (b.address ? [b.address] : []));
}

export function orderWire(
  ctx: AppContext,
  o: Order,
  p: Payment | null,
  payees: readonly string[] | null = null,
) {
  const snap = o.service_snapshot as { name?: string; version?: string };
  return {
    id: o.id,
    status: o.status,
    buyer_id: o.buyer_id,
    provider_id: o.provider_id,
    service: { id: o.service_id, ref: `${snap.name}@${snap.version}` },
    skill_key: o.skill_key,
    operation: o.operation,
    price: moneyWire(ctx, o.amount_minor, o.asset),
    fee: moneyWire(ctx, o.fee_minor, o.asset),
    rail: o.rail,
    quote_id: o.quote_id,
    client_ref: o.client_ref,
    handoff: o.handoff,
    error: o.error,
    payment: p
      ? {
          id: p.id,
          status: p.status,
          rail: p.rail,
          verification: p.verification,
          hold_id: p.hold_id,
          channel_id: p.channel_id,
        }
      : null,
    payment_instructions: paymentInstructionsOf(ctx, o, payees),
    created_at: isoOf(o.created_at_ms),
    updated_at: isoOf(o.updated_at_ms),
  };
}

/** Who the caller is to an order. */
export type Party = "buyer" | "provider" | "operator";

/**
 * Loads an order for a caller who must be one of `parties`. Anyone else gets ORDER_NOT_FOUND,
 * so order ids reveal nothing to strangers.
 */
export async function orderFor(
  ctx: AppContext,
  ex: Executor,
  request: FastifyRequest,
  id: string,
  parties: Party[],
): Promise<{ order: Order; party: Party }> {
  if (!request.caller && pairingTokenOf(request) !== undefined) {
    // A paired agent is the buyer of the orders it made for its machine, and of nothing else.
    const agent = await purchaserOf(ctx, ex, request, { recheck: false });
    const order = await ctx.orders.get(ex, id);
    if (parties.includes("buyer") && order.pairing_id === agent.delegated?.pairing_id) {
      return { order, party: "buyer" };
    }
    throw new Problem(orderProblems.ORDER_NOT_FOUND, `no order ${id}`);
  }
  const caller = callerOf(request);
  const order = await ctx.orders.get(ex, id);
  // One principal may be several parties at once (the operator sells the built-in services).
  const held: Party[] = [];
  if (order.buyer_id === caller.principal.id) held.push("buyer");
  if (order.provider_id === caller.principal.id) held.push("provider");
  if (scopeCovers(caller.key.scope, "admin")) held.push("operator");
  const party = parties.find((p) => held.includes(p));
  if (party === undefined) {
    if (held.length > 0) {
      throw new Problem(
        kernelProblems.FORBIDDEN,
        `the ${held.join("/")} of an order may not do this`,
      );
    }
    throw new Problem(orderProblems.ORDER_NOT_FOUND, `no order ${id}`);
  }
  return { order, party };
}
