import type { Tx } from "../db/db.ts";
import { isoOf } from "../kernel/clock.ts";
import {
  type Market,
  type MarketOrder,
  type Message,
  SYSTEM_AUTHOR,
  type Thread,
  type Transition,
} from "../market/index.ts";
import type { WebhookFlows } from "./webhooks.ts";

/** Order facts every order event carries (camelCase, as Pact's wire). */
export function orderEventData(o: MarketOrder) {
  return {
    orderId: o.id,
    listingId: o.listing_id,
    status: o.status,
    version: o.version,
    buyerId: o.buyer_id,
    sellerId: o.seller_id,
    price: { amountMinor: o.terms.price_minor.toString(), asset: o.terms.asset },
    termsHash: o.terms_hash,
  };
}

/** Which money event a transition's effects caused, if any. */
function moneyEventOf(t: Extract<Transition, { replayed: false }>): string | null {
  const e = t.rule.effects;
  if (e.includes("hold_escrow")) return "payment.escrowed";
  if (e.includes("release_escrow")) return "payment.released";
  if (e.includes("refund_escrow")) return "payment.refunded";
  if (e.includes("split_escrow")) return "payment.released";
  return null;
}

/** Webhook events and thread messages that follow a change, in the change's transaction. */
export function createMarketNotices(deps: { market: Market; webhooks: WebhookFlows }) {
  const { market, webhooks } = deps;
  const parties = (o: MarketOrder) => [o.buyer_id, o.seller_id];

  async function messagePosted(tx: Tx, thread: Thread, message: Message) {
    const to = [thread.buyer_id, thread.seller_id].filter((id) => id !== message.author_id);
    await webhooks.emit(tx, {
      to,
      type: "message.created",
      data: {
        threadId: thread.id,
        orderId: thread.order_id,
        messageId: message.id,
        authorId: message.author_id,
        kind: message.kind,
        body: message.body,
        attachments: message.attachments,
        createdAt: isoOf(message.created_at_ms),
      },
    });
  }

  /**
   * A message the hub writes into an order's thread (transitions, deadlines). Transitions are
   * announced as order.updated already, so their lines are not sent as messages too.
   */
  async function systemMessage(
    tx: Tx,
    order_id: string,
    body: string,
    options: { notify: boolean } = { notify: true },
  ) {
    const thread = await market.threads.ofOrder(tx, order_id);
    const message = await market.threads.post(tx, thread, {
      author_id: SYSTEM_AUTHOR,
      kind: "system",
      body,
    });
    if (options.notify) await messagePosted(tx, thread, message);
  }

  async function transitioned(tx: Tx, t: Extract<Transition, { replayed: false }>) {
    const o = t.order;
    const data = {
      ...orderEventData(o),
      event: t.event,
      previousStatus: t.previous.status,
      role: t.role,
    };
    await webhooks.emit(tx, { to: parties(o), type: "order.updated", data });
    const money = moneyEventOf(t);
    if (money) await webhooks.emit(tx, { to: parties(o), type: money, data });
    if (t.rule.effects.includes("open_dispute"))
      await webhooks.emit(tx, {
        to: parties(o),
        type: "dispute.opened",
        data: { ...data, reason: t.dispute?.reason ?? "" },
      });
    if (t.rule.effects.includes("split_escrow") && t.dispute?.decision) {
      const d = t.dispute.decision;
      await webhooks.emit(tx, {
        to: parties(o),
        type: "dispute.resolved",
        data: {
          ...data,
          sellerShareBps: d.seller_share_bps,
          sellerAmountMinor: d.seller_minor.toString(),
          buyerAmountMinor: d.buyer_minor.toString(),
          feeMinor: d.fee_minor.toString(),
        },
      });
    }
  }

  /** A deadline passed or fired: both parties hear of it. */
  async function deadline(tx: Tx, o: MarketOrder, name: string, extra: Record<string, unknown>) {
    await webhooks.emit(tx, {
      to: parties(o),
      type: "order.deadline",
      data: { ...orderEventData(o), deadline: name, ...extra },
    });
  }

  return { messagePosted, systemMessage, transitioned, deadline, emit: webhooks.emit };
}

export type MarketNotices = ReturnType<typeof createMarketNotices>;
