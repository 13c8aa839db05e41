import type { Catalog, Service, Skill } from "../catalog/index.ts";
import { catalogProblems, checkInput, priceOf } from "../catalog/index.ts";
import type { Channels } from "../channels/index.ts";
import type { Tx } from "../db/db.ts";
import {
  assertAllowed,
  type Delegation,
  type DelegationPolicy,
  evaluatePolicy,
} from "../delegation/index.ts";
import type { ServiceExecutor } from "../execution/index.ts";
import type { Clock } from "../kernel/clock.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import type { Ledger } from "../ledger/index.ts";
import {
  type Actor,
  type Order,
  type Orders,
  orderProblems,
  type Payment,
  type Rail,
} from "../orders/index.ts";
import type { Outbox } from "../outbox/index.ts";
import type { ChainCursor, ReceiptKind, Receipts, StoredReceipt } from "../receipts/index.ts";
import { holdFunds, holdIdOf, refundFunds, releaseFunds } from "./settle.ts";

export interface PurchaseDeps {
  clock: Clock;
  ledger: Ledger;
  orders: Orders;
  catalog: Catalog;
  receipts: Receipts;
  channels: Channels;
  outbox: Outbox;
  executor: ServiceExecutor;
  fee_bps: number;
  execution_timeout_ms: number;
  decimalsOf(asset: string): number;
  /** Spend limits of paired agents, counted in the debit's transaction. */
  delegation: Pick<Delegation, "reserveSpend" | "releaseSpend">;
}

/** A purchase an agent makes for a machine under its pairing's delegation policy. */
export interface Delegated {
  pairing_id: string;
  policy: DelegationPolicy;
}

/** Rails that move money on the hub's ledger (the service lists them as `agx-ledger`). */
export const LEDGER_RAILS: readonly Rail[] = [
  "prepaid",
  "escrow",
  "channel",
  "x402",
  "wdk-usdt-transfer",
];
const SYSTEM: Actor = { id: "system", reason: "automatic" };

export const TOPIC_AUTO_CONFIRM = "order.auto_confirm";
export const TOPIC_EXPIRE_READY = "order.expire_ready";

function acceptsRail(service: Service | Record<string, unknown>, rail: Rail): boolean {
  const offered = (service as { rails?: string[] }).rails ?? [];
  if (rail === "not-required") return true;
  if (LEDGER_RAILS.includes(rail)) return offered.includes("agx-ledger") || offered.includes(rail);
  return offered.includes(rail);
}

/** The chain transaction a payment's proof names, for its receipt. */
function proofRef(proof: Record<string, unknown> | null): Record<string, string> {
  if (typeof proof?.tx_hash !== "string" || typeof proof.chain !== "string") return {};
  return { chain: proof.chain, tx_hash: proof.tx_hash };
}

/** The purchase lifecycle across orders, catalogue, ledger, channels and receipts. */
export function createPurchases(deps: PurchaseDeps) {
  const { clock, orders } = deps;

  /** Issues a receipt of the order's chain; `cursor` when the caller knows the chain's head. */
  async function receipt(
    tx: Tx,
    order: Order,
    kind: ReceiptKind,
    extra: Partial<Parameters<Receipts["issue"]>[1]> = {},
    cursor?: ChainCursor,
  ) {
    return deps.receipts.issue(
      tx,
      {
        kind,
        subject: order.buyer_id,
        order_id: order.id,
        chain_key: order.id,
        money: {
          amount_minor: order.amount_minor,
          asset: order.asset,
          decimals: deps.decimalsOf(order.asset),
        },
        payment_rail: order.rail,
        terms_hash: order.input_sha256,
        ...extra,
      },
      cursor ? { cursor } : {},
    );
  }

  /**
   * Creates an order from a live quote (QUOTE_EXPIRED when stale; the input must be the quoted
   * one) or, for direct purchases, from the service's current price (`entry`: the service and
   * skill the caller has just read, so they are not read again). A new order comes with the
   * cursor of its receipt chain.
   */
  async function createOrder(
    tx: Tx,
    spec: {
      buyer_id: string;
      rail: Rail;
      input: unknown;
      client_ref?: string | null;
      quote_id?: string;
      service_id?: string;
      operation?: string;
      delegated?: Delegated;
      entry?: { service: Service; skill: Skill };
    },
  ): Promise<{ order: Order; created: boolean; chain?: ChainCursor }> {
    let service: Service;
    let operation: string;
    let amount_minor: bigint;
    let quote_id: string | null = null;
    if (spec.quote_id) {
      const quote = await deps.catalog.liveQuote(tx, spec.quote_id);
      if (quote.input_sha256 !== sha256Hex(canonicalJson(spec.input ?? null))) {
        throw new Problem(
          catalogProblems.QUOTE_INPUT_INVALID,
          "the input differs from the quoted input",
        );
      }
      service = await deps.catalog.getService(tx, quote.service_id);
      [operation, amount_minor, quote_id] = [quote.operation, quote.amount_minor, quote.id];
    } else {
      if (!spec.service_id)
        throw new Problem(orderProblems.ORDER_NOT_FOUND, "give quote_id or service_id");
      const entry = spec.entry?.service.id === spec.service_id ? spec.entry : null;
      service = entry?.service ?? (await deps.catalog.getService(tx, spec.service_id));
      const skill = entry?.skill ?? (await deps.catalog.requireSkill(tx, service.skill_key));
      const op = deps.catalog.operationOf(skill, spec.operation);
      checkInput(op.input_schema, spec.input);
      const price = priceOf(service.pricing, spec.input);
      if (!price)
        throw new Problem(
          catalogProblems.QUOTE_NOT_AVAILABLE,
          `${service.name} must be quoted by its provider`,
        );
      [operation, amount_minor] = [op.name, price.amount_minor];
    }
    if (service.status !== "active") {
      throw new Problem(catalogProblems.CATALOG_SERVICE_NOT_FOUND, `${service.name} is retired`);
    }
    const rail: Rail = amount_minor === 0n ? "not-required" : spec.rail;
    if (!acceptsRail(service, rail)) {
      throw new Problem(
        orderProblems.PAYMENT_RAIL_UNSUPPORTED,
        `${service.name} does not accept ${rail}`,
        { extensions: { rails: service.rails } },
      );
    }
    if (spec.delegated) {
      // Allow and deny lists, expiry, currency and the per-purchase cap bind here; the spend
      // counters bind when the money moves (pay), in that transaction.
      assertAllowed(
        evaluatePolicy(
          spec.delegated.policy,
          {
            skill_key: service.skill_key,
            service_id: service.id,
            provider_key: service.provider_id,
            rails: [rail],
            amount_minor,
            asset: service.pricing.asset,
          },
          { now_ms: clock.now_ms() },
        ),
      );
    }
    const fee_minor = (amount_minor * BigInt(deps.fee_bps)) / 10_000n;
    const made = await orders.create(tx, {
      buyer_id: spec.buyer_id,
      provider_id: service.provider_id,
      service_id: service.id,
      service_snapshot: JSON.parse(
        JSON.stringify(service, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      ),
      skill_key: service.skill_key,
      operation,
      input: spec.input ?? null,
      quote_id,
      amount_minor,
      fee_minor,
      asset: service.pricing.asset,
      rail,
      client_ref: spec.client_ref ?? null,
      pairing_id: spec.delegated?.pairing_id ?? null,
    });
    if (!made.created) return made;
    // A new order's id is new, so its receipt chain starts empty.
    const chain: ChainCursor = { head: null };
    await receipt(
      tx,
      made.order,
      "quote",
      { details: { quote_id, service: `${service.name}@${service.version}` } },
      chain,
    );
    return { ...made, chain };
  }

  /** Creates (or returns) the payment intent; free orders go straight to `ready`. */
  async function paymentIntent(
    tx: Tx,
    order: Order,
    actor: Actor,
  ): Promise<{ order: Order; payment: Payment }> {
    if (order.rail === "not-required") {
      const { payment, created } = await orders.createPayment(tx, order, {
        rail: order.rail,
        status: "not_required",
        verification: "none",
      });
      const next = created ? await orders.transition(tx, order, "skip_payment", actor) : order;
      if (created) await scheduleReadyExpiry(tx, next);
      return { order: next, payment };
    }
    if (order.rail === "external" || order.rail === "vault-stripe") {
      const { payment, created } = await orders.createPayment(tx, order, {
        rail: order.rail,
        status: "intent_created",
        verification: "none",
      });
      const snapshot = order.service_snapshot as {
        handoff?: Record<string, unknown> | null;
        endpoints?: { url: string }[];
      };
      const handoff = snapshot.handoff ?? {
        label: "Complete the purchase with the provider",
        url: snapshot.endpoints?.[0]?.url ?? null,
        steps: [],
      };
      const next = created
        ? await orders.transition(tx, order, "handoff", actor, { handoff })
        : order;
      return { order: next, payment };
    }
    const { payment, created } = await orders.createPayment(tx, order, {
      rail: order.rail,
      status: "intent_created",
      verification: initialVerification(order.rail),
    });
    const next = created ? await orders.transition(tx, order, "request_payment", actor) : order;
    return { order: next, payment };
  }

  /** What a new intent says of its money: known once proven on rails that prove on chain. */
  function initialVerification(rail: Rail): Payment["verification"] {
    if (rail === "offchain-record" || rail === "mpp") return "recorded";
    return rail === "onchain-escrow" ? "none" : "ledger";
  }

  async function scheduleReadyExpiry(tx: Tx, order: Order) {
    await deps.outbox.enqueue(tx, {
      topic: TOPIC_EXPIRE_READY,
      payload: { order_id: order.id },
      due_at_ms: clock.now_ms() + limits.order_ready_ttl_ms,
      dedupe_key: `expire_ready:${order.id}`,
    });
  }

  /**
   * Pays an order on its rail: prepaid and escrow hold the buyer's balance, a channel holds the
   * channel's, offchain-record keeps the attestation (marked unverified). Paying twice is a 409.
   * `known`: the payment as the caller has it in this transaction, the order's receipt chain, and
   * `starts_now` when the caller starts the order in this same transaction (then it is never seen
   * `ready`, and no expiry of the ready state is scheduled).
   */
  async function pay(
    tx: Tx,
    order: Order,
    actor: Actor,
    spec: {
      amount_minor?: bigint;
      channel_id?: string;
      proof?: Record<string, unknown>;
      /** An x402 payment the facilitator verified; booked on the ledger once it settles. */
      x402_verified?: Record<string, unknown>;
      /**
       * A transfer to the hub verified over RPC (wdk-usdt-transfer), already deposited to the
       * buyer in this transaction: the price is held from that deposit.
       */
      tx_verified?: Record<string, unknown>;
      /**
       * An on-chain escrow lock (onchain-escrow): `rpc` when its lock event was verified, else
       * `recorded`. The money stays in the contract; nothing moves on the hub's ledger.
       */
      escrow_lock?: { proof: Record<string, unknown>; verification: "rpc" | "recorded" };
    } = {},
    known: { payment?: Payment; chain?: ChainCursor; starts_now?: boolean } = {},
  ): Promise<{ order: Order; payment: Payment; receipt: StoredReceipt }> {
    if (spec.amount_minor !== undefined && spec.amount_minor !== order.amount_minor) {
      throw new Problem(
        orderProblems.PAYMENT_AMOUNT_MISMATCH,
        `the order costs ${order.amount_minor} minor units of ${order.asset}, not ${spec.amount_minor}`,
      );
    }
    const payment = known.payment ?? (await orders.paymentOf(tx, order.id));
    if (payment.status !== "intent_created") {
      throw new Problem(
        orderProblems.PAYMENT_TRANSITION_FORBIDDEN,
        `payment ${payment.id} is ${payment.status}`,
        { extensions: { status: payment.status } },
      );
    }
    if (order.pairing_id !== null && order.amount_minor > 0n) {
      await deps.delegation.reserveSpend(
        tx,
        order.pairing_id,
        order.asset,
        order.amount_minor,
        clock.now_ms(),
        { reference: order.id },
      );
    }
    const { patch, hold } = await paymentPatch(tx, order, payment, spec);
    const held = await orders.paymentTransition(tx, payment, "hold", actor, patch);
    const next = await orders.transition(tx, order, "payment_held", actor);
    if (!known.starts_now) await scheduleReadyExpiry(tx, next);
    const r = await receipt(
      tx,
      next,
      "payment",
      {
        payment_id: held.id,
        details: {
          verification: held.verification,
          ...proofRef(held.proof),
          ...(held.channel_id ? { channel_id: held.channel_id } : {}),
        },
      },
      known.chain,
    );
    // The money moves last: its row locks (the buyer's, the hub's escrow) are held until commit.
    if (hold) await holdFunds(tx, deps.ledger, { payment, ...hold });
    return { order: next, payment: held, receipt: r };
  }

  /** How a payment is paid on the order's rail, and the ledger hold it takes (if any). */
  async function paymentPatch(
    tx: Tx,
    order: Order,
    payment: Payment,
    spec: NonNullable<Parameters<typeof pay>[3]>,
  ): Promise<{
    patch: Parameters<Orders["paymentTransition"]>[4];
    hold: { from_owner: string; from_kind: "available" | "escrow" } | null;
  }> {
    if (order.rail === "x402") {
      if (!spec.x402_verified)
        throw new Problem(
          orderProblems.PAYMENT_RAIL_UNSUPPORTED,
          "x402 orders are paid with a PAYMENT-SIGNATURE (or X-PAYMENT) on the invoke route",
        );
      return { patch: { proof: spec.x402_verified, verification: "recorded" }, hold: null };
    }
    if (order.rail === "wdk-usdt-transfer") {
      if (!spec.tx_verified)
        throw new Problem(
          orderProblems.PAYMENT_RAIL_UNSUPPORTED,
          "wdk-usdt-transfer orders are paid with a transaction-hash proof: " +
            "POST /api/v1/market/orders/{id}/payment-proof {proof: {tx_hash, chain}}",
        );
      return {
        patch: { hold_id: holdIdOf(payment), proof: spec.tx_verified },
        hold: { from_owner: order.buyer_id, from_kind: "available" },
      };
    }
    if (order.rail === "offchain-record" || order.rail === "mpp") {
      if (!spec.proof)
        throw new Problem(
          orderProblems.PAYMENT_PROOF_INVALID,
          `${order.rail} needs a proof (attestation or {tx_hash, chain})`,
        );
      // Recorded, never verified: no ledger hold, so no hub money depends on it.
      return { patch: { proof: spec.proof, verification: "recorded" }, hold: null };
    }
    if (order.rail === "onchain-escrow") {
      if (!spec.escrow_lock)
        throw new Problem(
          orderProblems.PAYMENT_RAIL_UNSUPPORTED,
          "onchain-escrow orders are paid with an escrow-lock proof: " +
            "POST /api/v1/market/orders/{id}/payment/escrow-lock {tx_hash, chain, escrow_address?}",
        );
      const { proof, verification } = spec.escrow_lock;
      return { patch: { proof, verification }, hold: null };
    }
    if (order.rail === "channel") {
      if (!spec.channel_id)
        throw new Problem(orderProblems.PAYMENT_PROOF_INVALID, "the channel rail needs channel_id");
      const channel = await deps.channels.usable(tx, spec.channel_id, order.buyer_id);
      if (channel.asset !== order.asset)
        throw new Problem(orderProblems.PAYMENT_PROOF_INVALID, "the channel is in another asset");
      return {
        patch: { hold_id: holdIdOf(payment), channel_id: channel.id },
        hold: { from_owner: channel.id, from_kind: "escrow" },
      };
    }
    if (order.rail === "prepaid" || order.rail === "escrow") {
      return {
        patch: { hold_id: holdIdOf(payment) },
        hold: { from_owner: order.buyer_id, from_kind: "available" },
      };
    }
    throw new Problem(
      orderProblems.PAYMENT_RAIL_UNSUPPORTED,
      `${order.rail} is not paid through agx`,
    );
  }

  /** ready → executing with a Run; the caller runs the adapter outside the transaction. */
  async function beginExecution(tx: Tx, order: Order, actor: Actor) {
    const next = await orders.transition(tx, order, "start", actor);
    const url =
      (order.service_snapshot as { endpoints?: { url: string }[] }).endpoints?.[0]?.url ?? "";
    const route = url.startsWith("builtin:")
      ? "builtin"
      : url.startsWith("machine://")
        ? "machine"
        : "http";
    const run = await orders.startRun(tx, next, route);
    return { order: next, run };
  }

  return { createOrder, paymentIntent, pay, beginExecution, receipt, acceptsRail };
}

export type Purchases = ReturnType<typeof createPurchases>;
export { refundFunds, releaseFunds };
export const SYSTEM_ACTOR = SYSTEM;
