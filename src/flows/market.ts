import type { Tx } from "../db/db.ts";
import { unreachable } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import type { Ledger } from "../ledger/index.ts";
import {
  type Attachment,
  type EventInput,
  type ListingKind,
  type Market,
  type MarketActor,
  type MarketEvent,
  type MarketOrder,
  marketLimits,
  marketProblems,
  type Transition,
} from "../market/index.ts";
import type { Outbox } from "../outbox/index.ts";
import type { ReceiptKind, Receipts, StoredReceipt } from "../receipts/index.ts";
import { createDeadlines } from "./market-deadlines.ts";
import { holdEscrow, refundEscrow, releaseEscrow, splitEscrow } from "./market-money.ts";
import { createMarketNotices, orderEventData } from "./market-notify.ts";
import type { WebhookFlows } from "./webhooks.ts";

export interface MarketFlowDeps {
  clock: Clock;
  ledger: Ledger;
  receipts: Receipts;
  outbox: Outbox;
  market: Market;
  webhooks: WebhookFlows;
  decimalsOf(asset: string): number;
  /** PROOF_SUBMITTED → REVIEWING and REVIEWING → COMPLETED by themselves after these. */
  review_start_after_ms: number;
  auto_accept_after_ms: number;
}

type Applied = Extract<Transition, { replayed: false }>;

/** What an event leaves behind: the order now, and the receipts it wrote. */
export interface Fired {
  order: MarketOrder;
  receipts: StoredReceipt[];
  replayed: boolean;
}

function receiptKindOf(t: Applied): ReceiptKind {
  const e = t.rule.effects;
  if (e.includes("hold_escrow")) return "payment";
  if (e.includes("release_escrow") || e.includes("split_escrow")) return "settlement";
  if (e.includes("refund_escrow")) return "refund";
  return "decision";
}

/** Market use cases across the market, ledger, receipts, outbox and webhooks. */
export function createMarketFlows(deps: MarketFlowDeps) {
  const { market, ledger } = deps;
  const notices = createMarketNotices({ market, webhooks: deps.webhooks });
  const deadlines = createDeadlines({ ...deps, now_ms: deps.clock.now_ms });

  function receipt(tx: Tx, o: MarketOrder, kind: ReceiptKind, details: Record<string, unknown>) {
    return deps.receipts.issue(tx, {
      kind,
      subject: o.buyer_id,
      order_id: o.id,
      chain_key: o.id,
      money: {
        amount_minor: o.terms.price_minor,
        asset: o.terms.asset,
        decimals: deps.decimalsOf(o.terms.asset),
      },
      payment_rail: "agx-ledger",
      terms_hash: o.terms_hash,
      details,
    });
  }

  /** The flow's effects of an applied rule, in the rule's order. */
  async function applyEffects(tx: Tx, t: Applied): Promise<void> {
    for (const effect of t.rule.effects) {
      switch (effect) {
        case "hold_escrow":
          await holdEscrow(tx, ledger, t.order);
          break;
        case "cancel_competitors":
          await cancelCompetitors(tx, t.order);
          break;
        case "schedule_delivery_deadline":
          await deadlines.delivery(tx, t.order);
          break;
        case "refund_escrow":
          await refundEscrow(tx, ledger, t.order);
          break;
        case "schedule_review_start":
          await deadlines.reviewStart(tx, t.order);
          break;
        case "schedule_auto_accept":
          await deadlines.autoAccept(tx, t.order);
          break;
        case "clear_deadlines":
          await deadlines.clear(tx, t.previous, t.order.status);
          break;
        case "release_escrow":
          await releaseEscrow(tx, ledger, t.order);
          break;
        case "split_escrow":
          if (!t.dispute) throw new Error(`order ${t.order.id} resolved without a dispute`);
          await splitEscrow(tx, ledger, t.order, t.dispute);
          break;
        case "record_terms":
        case "fix_fee":
        case "record_proof":
        case "count_rejection":
        case "open_dispute":
          break; // applied by the market module to the order row itself
        default:
          unreachable(effect, "effect");
      }
    }
  }

  /**
   * Fires an event: the guarded transition and its audit row, the money and timers its rule
   * names, a receipt, webhook events and a line in the thread, all in the caller's transaction.
   */
  async function fire(
    tx: Tx,
    order: MarketOrder,
    event: MarketEvent,
    actor: MarketActor,
    input: EventInput = {},
  ): Promise<Fired> {
    const t = await market.orders.transition(tx, order, event, actor, input);
    if (t.replayed) return { order: t.order, receipts: [], replayed: true };
    await applyEffects(tx, t);
    const decision = t.dispute?.decision;
    const r = await receipt(tx, t.order, receiptKindOf(t), {
      event,
      from: t.previous.status,
      to: t.order.status,
      role: t.role,
      actor_id: actor.id,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(event === "resolve" && decision
        ? {
            seller_share_bps: decision.seller_share_bps,
            seller_minor: decision.seller_minor.toString(),
            buyer_minor: decision.buyer_minor.toString(),
            fee_minor: decision.fee_minor.toString(),
          }
        : {}),
    });
    await notices.transitioned(tx, t);
    const why = input.reason ?? (actor.roles.includes("system") ? actor.reason : "");
    await notices.systemMessage(
      tx,
      t.order.id,
      `${t.role} fired ${event}: ${t.previous.status} → ${t.order.status}${why ? ` (${why})` : ""}`,
      { notify: false },
    );
    return { order: t.order, receipts: [r], replayed: false };
  }

  /**
   * Funding one order ends the competition for its listing: the buyer's other negotiations on it
   * are cancelled (for a bounty, every negotiation, and the bounty is awarded).
   */
  async function cancelCompetitors(tx: Tx, funded: MarketOrder): Promise<void> {
    const bounty = funded.listing_kind === "bounty";
    if (bounty) {
      const listing = await market.listings.get(tx, funded.listing_id);
      if (listing.status !== "open") throw market.listings.notOpen(listing);
      await market.listings.move(tx, listing, "awarded");
    }
    const others = await market.orders.negotiatingOn(
      tx,
      {
        listing_id: funded.listing_id,
        except_id: funded.id,
        ...(bounty ? {} : { buyer_id: funded.buyer_id }),
      },
      marketLimits.negotiations_per_listing_max,
    );
    for (const other of others) {
      await fire(tx, other, "cancel", {
        id: "system",
        roles: ["system"],
        reason: `order ${funded.id} on the same listing was funded`,
      });
    }
  }

  /** Opens (or returns) the caller's negotiation on a listing, with its thread. */
  async function negotiate(
    tx: Tx,
    caller_id: string,
    spec: { source_type: ListingKind; source_id: string; message?: string },
  ) {
    const listing = await market.listings.get(tx, spec.source_id);
    if (listing.kind !== spec.source_type)
      throw new Problem(
        marketProblems.MARKET_LISTING_NOT_FOUND,
        `no ${spec.source_type} ${listing.id}`,
      );
    if (listing.status !== "open") throw market.listings.notOpen(listing);
    if (listing.owner_id === caller_id)
      throw new Problem(marketProblems.MARKET_SELF_DEAL, `listing ${listing.id} is your own`);
    const bounty = listing.kind === "bounty";
    const buyer_id = bounty ? listing.owner_id : caller_id;
    const seller_id = bounty ? caller_id : listing.owner_id;
    const max = marketLimits.negotiations_per_listing_max;
    const open = await market.orders.negotiatingOn(tx, { listing_id: listing.id }, max);
    const mine = open.find((o) => o.buyer_id === buyer_id && o.seller_id === seller_id);
    if (!mine && open.length >= max)
      throw new Problem(
        marketProblems.MARKET_NEGOTIATIONS_FULL,
        `listing ${listing.id} has ${max}`,
      );
    const made = await market.orders.open(tx, { listing, buyer_id, seller_id });
    if (!made.created)
      return { ...made, thread: await market.threads.ofOrder(tx, made.order.id), receipts: [] };
    const thread = await market.threads.create(tx, made.order);
    const r = await receipt(tx, made.order, "quote", {
      event: "negotiate",
      listing_id: listing.id,
    });
    await notices.emit(tx, {
      to: [listing.owner_id],
      type: "order.created",
      data: { ...orderEventData(made.order), threadId: thread.id },
    });
    if (spec.message)
      await postMessage(
        tx,
        thread.id,
        { id: caller_id, operator: false },
        {
          kind: "text",
          body: spec.message,
        },
      );
    return { order: made.order, created: true, thread, receipts: [r] };
  }

  /** Posts to an order's thread: parties and the operator; evidence only while disputed. */
  async function postMessage(
    tx: Tx,
    thread_id: string,
    author: { id: string; operator: boolean },
    m: { kind: "text" | "evidence"; body: string; attachments?: Attachment[] },
  ) {
    const thread = await market.threads.get(tx, thread_id);
    const party = author.id === thread.buyer_id || author.id === thread.seller_id;
    if (!party && !author.operator)
      throw new Problem(marketProblems.MARKET_THREAD_NOT_FOUND, `no thread ${thread_id}`);
    if (m.kind === "evidence") {
      const order = await market.orders.get(tx, thread.order_id);
      const dispute = await market.orders.dispute(tx, order.id);
      const due = dispute?.evidence_due_at_ms ?? null;
      if (order.status !== "DISPUTED" || (due !== null && deps.clock.now_ms() >= due))
        throw new Problem(
          marketProblems.MARKET_EVIDENCE_CLOSED,
          order.status !== "DISPUTED"
            ? `order ${order.id} is ${order.status}, not DISPUTED`
            : `evidence for order ${order.id} closed at its deadline`,
        );
    }
    const message = await market.threads.post(tx, thread, { author_id: author.id, ...m });
    await notices.messagePosted(tx, thread, message);
    return message;
  }

  /** Closes a listing and cancels the negotiations still open on it. */
  async function closeListing(tx: Tx, owner_id: string, id: string) {
    const listing = await market.listings.close(tx, owner_id, id);
    const open = await market.orders.negotiatingOn(
      tx,
      { listing_id: id },
      marketLimits.negotiations_per_listing_max,
    );
    for (const o of open)
      await fire(tx, o, "cancel", {
        id: "system",
        roles: ["system"],
        reason: "the listing was closed",
      });
    return listing;
  }

  /** A party's review of a completed or resolved order; the reviewed side is told. */
  async function review(
    tx: Tx,
    order: MarketOrder,
    author_id: string,
    spec: { rating: number; text: string },
  ) {
    const made = await market.reviews.create(tx, order, author_id, spec);
    await notices.emit(tx, {
      to: [made.subject_id],
      type: "review.created",
      data: { orderId: order.id, reviewId: made.id, authorId: author_id, rating: made.rating },
    });
    return made;
  }

  return { market, notices, fire, negotiate, postMessage, closeListing, review };
}

export type MarketFlows = ReturnType<typeof createMarketFlows>;
