import type { Executor } from "../db/db.ts";
import { assert, unreachable } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { isoOf } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { marketLimits } from "./limits.ts";
import {
  type Condition,
  decide,
  type MarketEvent,
  type Refusal,
  type Role,
  type Rule,
} from "./machine.ts";
import type { Dispute, Listing, MarketActor, MarketOrder } from "./model.ts";
import * as store from "./orders-store.ts";
import { marketProblems } from "./problems.ts";
import { checkEventInput, type EventInput, proposedTerms, termsHash } from "./terms.ts";

/** The outcome of an event: the order before and after, and the rule that moved it. */
export type Transition =
  | {
      replayed: false;
      event: MarketEvent;
      rule: Rule;
      role: Role;
      previous: MarketOrder;
      order: MarketOrder;
      dispute: Dispute | null;
    }
  | { replayed: true; order: MarketOrder };

/** The hold's transfer id: derived from the order so a retried funding cannot hold twice. */
export const holdIdOf = (order_id: string) => `${order_id}.hold`;

function refusal(order: MarketOrder, event: MarketEvent, r: Refusal): Problem {
  const at = { extensions: { status: order.status, event } };
  if (r.kind === "role")
    return new Problem(
      marketProblems.MARKET_ROLE_FORBIDDEN,
      `your side of order ${order.id} may not ${event} it`,
      at,
    );
  if (r.kind === "condition") {
    assert(r.condition === "delivery_overdue", `condition ${r.condition} has no fallback rule`);
    const due = order.terms.delivery_deadline_ms;
    return new Problem(
      marketProblems.MARKET_DELIVERY_NOT_OVERDUE,
      due === null
        ? `order ${order.id} has no delivery deadline; ask the seller to cancel or dispute it`
        : `the buyer may cancel order ${order.id} once its deadline ${isoOf(due)} has passed`,
      at,
    );
  }
  if (r.specific === "already_funded")
    return new Problem(marketProblems.MARKET_ALREADY_FUNDED, `order ${order.id} is funded`, at);
  if (r.specific === "dispute_window_closed")
    return new Problem(
      marketProblems.MARKET_DISPUTE_WINDOW_CLOSED,
      `order ${order.id} is ${order.status}: its escrow was released, disputes end there`,
      at,
    );
  return new Problem(
    marketProblems.MARKET_TRANSITION_FORBIDDEN,
    `order ${order.id} is ${order.status}; ${event} is not allowed`,
    at,
  );
}

/** Market orders: negotiation, guarded transitions with their audit rows, disputes. */
export function createMarketOrders(deps: { clock: Clock; fee_bps: number }) {
  const { clock } = deps;

  async function get(ex: Executor, id: string): Promise<MarketOrder> {
    const order = await store.getOrder(ex, id);
    if (!order) throw new Problem(marketProblems.MARKET_ORDER_NOT_FOUND, `no order ${id}`);
    return order;
  }

  /** Opens a negotiation on a listing, or returns the one this pair already has open. */
  async function open(
    tx: Executor,
    spec: { listing: Listing; buyer_id: string; seller_id: string },
  ): Promise<{ order: MarketOrder; created: boolean }> {
    const { listing } = spec;
    const now_ms = clock.now_ms();
    const terms = {
      scope: `${listing.title}\n\n${listing.description}`.slice(0, marketLimits.scope_chars_max),
      price_minor: listing.price.min_minor,
      asset: listing.price.asset,
      delivery_deadline_ms: listing.deadline_ms,
    };
    const order: MarketOrder = {
      id: newId("mord", now_ms),
      listing_id: listing.id,
      listing_kind: listing.kind,
      buyer_id: spec.buyer_id,
      seller_id: spec.seller_id,
      status: "NEGOTIATING",
      version: 1,
      terms,
      terms_hash: termsHash(terms),
      buyer_agreed: null,
      seller_agreed: null,
      fee_minor: 0n,
      hold_id: null,
      rejections: 0,
      round: 0,
      proof: null,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    if (await store.insertOrder(tx, order)) return { order, created: true };
    const existing = await store.orderByOpenKey(tx, store.openKeyOf(order));
    assert(existing, "an open-key conflict has an open twin");
    return { order: existing, created: false };
  }

  /** The facts the rules of this event depend on. */
  function factsOf(order: MarketOrder, side: Role | undefined, hash: string | null) {
    const holds = new Set<Condition>();
    const agreed = side === "buyer" ? order.seller_agreed : order.buyer_agreed;
    if (hash !== null && agreed === hash) holds.add("counterparty_agreed");
    const due = order.terms.delivery_deadline_ms;
    if (due !== null && clock.now_ms() >= due) holds.add("delivery_overdue");
    if (order.rejections + 1 >= marketLimits.rejections_to_dispute) holds.add("final_rejection");
    return holds;
  }

  /** Applies an event: decide, apply the market's own effects, guarded write, audit row. */
  async function transition(
    tx: Executor,
    order: MarketOrder,
    event: MarketEvent,
    actor: MarketActor,
    input: EventInput = {},
  ): Promise<Transition> {
    if (actor.request_key) {
      const seen = await store.eventByRequestKey(tx, order.id, actor.id, actor.request_key);
      if (seen) return { replayed: true, order: await get(tx, order.id) };
    }
    checkEventInput(event, input);
    const side = actor.roles.find((r) => r === "buyer" || r === "seller");
    const proposal = event === "agree" ? proposedTerms(order.terms, input.terms) : null;
    const due = proposal?.delivery_deadline_ms;
    if (due !== undefined && due !== null && due <= clock.now_ms())
      throw new Problem(marketProblems.MARKET_EVENT_INVALID, "the delivery deadline has passed", {
        errors: [{ pointer: "/terms/deliveryDeadline", detail: "must be in the future" }],
      });
    const hash = proposal ? termsHash(proposal) : null;
    const decided = decide(order.status, event, {
      roles: actor.roles,
      holds: factsOf(order, side, hash),
    });
    if ("refused" in decided) throw refusal(order, event, decided.refused);
    const { rule } = decided;
    const role = rule.by.find((r) => actor.roles.includes(r)) as Role;
    let next: MarketOrder = {
      ...order,
      status: rule.to,
      version: order.version + 1,
      updated_at_ms: clock.now_ms(),
    };
    for (const effect of rule.effects) next = applyOwn(effect, next, { side, hash, input });
    if (!(await store.replaceOrder(tx, order, next)))
      throw new Problem(
        marketProblems.MARKET_CONCURRENT_CHANGE,
        `order ${order.id} changed meanwhile; read it and try again`,
      );
    await store.insertEvent(tx, {
      id: newId("mevt", clock.now_ms()),
      order_id: order.id,
      event,
      from_status: order.status,
      to_status: next.status,
      actor_id: actor.id,
      role,
      reason: input.reason ?? actor.reason,
      request_key: actor.request_key ?? null,
      at_ms: clock.now_ms(),
    });
    const dispute = await disputeEffects(tx, rule, next, actor, input);
    return { replayed: false, event, rule, role, previous: order, order: next, dispute };
  }

  /** The effects that only touch the order row; the rest belong to the flow. */
  function applyOwn(
    effect: Rule["effects"][number],
    o: MarketOrder,
    c: { side: Role | undefined; hash: string | null; input: EventInput },
  ): MarketOrder {
    switch (effect) {
      case "record_terms": {
        assert(c.hash !== null && c.side !== undefined, "terms are recorded for a party");
        const terms = proposedTerms(o.terms, c.input.terms);
        const changed = c.hash !== o.terms_hash;
        const other = c.side === "buyer" ? "seller_agreed" : "buyer_agreed";
        const mine = c.side === "buyer" ? "buyer_agreed" : "seller_agreed";
        return {
          ...o,
          terms,
          terms_hash: c.hash,
          ...(changed ? { [other]: null } : {}),
          [mine]: c.hash,
        };
      }
      case "fix_fee":
        return { ...o, fee_minor: (o.terms.price_minor * BigInt(deps.fee_bps)) / 10_000n };
      case "hold_escrow":
        return { ...o, hold_id: holdIdOf(o.id) };
      case "record_proof":
        return { ...o, proof: c.input.proof ?? null, round: o.round + 1 };
      case "count_rejection":
        return { ...o, rejections: o.rejections + 1 };
      case "open_dispute":
      case "split_escrow":
      case "cancel_competitors":
      case "schedule_delivery_deadline":
      case "refund_escrow":
      case "schedule_review_start":
      case "schedule_auto_accept":
      case "clear_deadlines":
      case "release_escrow":
        return o;
      default:
        return unreachable(effect, "effect");
    }
  }

  /** Opens the dispute row, or records the operator's split of the escrow. */
  async function disputeEffects(
    tx: Executor,
    rule: Rule,
    order: MarketOrder,
    actor: MarketActor,
    input: EventInput,
  ): Promise<Dispute | null> {
    const now_ms = clock.now_ms();
    if (rule.effects.includes("open_dispute")) {
      const dispute: Dispute = {
        order_id: order.id,
        opened_by: actor.id,
        reason: input.reason ?? actor.reason,
        opened_at_ms: now_ms,
        evidence_due_at_ms: input.evidence_due_at_ms ?? null,
        decision: null,
      };
      await store.insertDispute(tx, dispute);
      return dispute;
    }
    if (!rule.effects.includes("split_escrow")) return store.getDispute(tx, order.id);
    const price = order.terms.price_minor;
    const bps = input.seller_share_bps ?? 0;
    const seller_gross = (price * BigInt(bps)) / 10_000n;
    const fee_minor = price === 0n ? 0n : (order.fee_minor * seller_gross) / price;
    const decision = {
      decided_by: actor.id,
      seller_share_bps: bps,
      seller_minor: seller_gross - fee_minor,
      buyer_minor: price - seller_gross,
      fee_minor,
      note: input.reason ?? "",
      decided_at_ms: now_ms,
    };
    assert(
      await store.decideDispute(tx, order.id, decision),
      "a DISPUTED order has one open dispute",
    );
    const dispute = await store.getDispute(tx, order.id);
    assert(dispute, "a decided dispute exists");
    return dispute;
  }

  return {
    open,
    get,
    transition,
    list: store.listOrders,
    negotiatingOn: store.negotiatingOn,
    events: store.eventsOf,
    dispute: store.getDispute,
  };
}

export type MarketOrders = ReturnType<typeof createMarketOrders>;
