import { Type } from "@sinclair/typebox";
import type { Executor } from "../../../db/db.ts";
import { isoOf } from "../../../kernel/clock.ts";
import type { Dispute, MarketOrder, Review } from "../../../market/index.ts";
import { moneyWire } from "../../wire.ts";
import type { MarketRouteContext } from "./index.ts";
import { OrderWire, orderWire } from "./wire.ts";

const Money = Type.Object({
  amount: Type.String(),
  amountMinor: Type.String(),
  asset: Type.String(),
});

export const ReviewWire = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  authorId: Type.String(),
  subjectId: Type.String(),
  authorRole: Type.String(),
  rating: Type.Integer(),
  text: Type.String(),
  createdAt: Type.String(),
});

export const reviewWire = (r: Review) => ({
  id: r.id,
  orderId: r.order_id,
  authorId: r.author_id,
  subjectId: r.subject_id,
  authorRole: r.author_role,
  rating: r.rating,
  text: r.text,
  createdAt: isoOf(r.created_at_ms),
});

const DisputeWire = Type.Object({
  openedBy: Type.String(),
  reason: Type.String(),
  openedAt: Type.String(),
  evidenceDeadline: Type.Union([Type.String(), Type.Null()]),
  decision: Type.Union([
    Type.Object({
      decidedBy: Type.String(),
      sellerShareBps: Type.Integer(),
      seller: Money,
      buyer: Money,
      fee: Money,
      note: Type.String(),
      decidedAt: Type.String(),
    }),
    Type.Null(),
  ]),
});

function disputeWire(ctx: MarketRouteContext, d: Dispute, asset: string) {
  const money = (minor: bigint) => {
    const m = moneyWire(ctx, minor, asset);
    return { amount: m.amount, amountMinor: m.amount_minor, asset };
  };
  const x = d.decision;
  return {
    openedBy: d.opened_by,
    reason: d.reason,
    openedAt: isoOf(d.opened_at_ms),
    evidenceDeadline: d.evidence_due_at_ms === null ? null : isoOf(d.evidence_due_at_ms),
    decision: x
      ? {
          decidedBy: x.decided_by,
          sellerShareBps: x.seller_share_bps,
          seller: money(x.seller_minor),
          buyer: money(x.buyer_minor),
          fee: money(x.fee_minor),
          note: x.note,
          decidedAt: isoOf(x.decided_at_ms),
        }
      : null,
  };
}

export const OrderDetailWire = Type.Object({
  ...OrderWire.properties,
  threadId: Type.String(),
  events: Type.Array(
    Type.Object({
      id: Type.String(),
      event: Type.String(),
      from: Type.String(),
      to: Type.String(),
      actorId: Type.String(),
      role: Type.String(),
      reason: Type.String(),
      at: Type.String(),
    }),
  ),
  receipts: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      jws: Type.String(),
      prevId: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  dispute: Type.Union([DisputeWire, Type.Null()]),
  reviews: Type.Array(ReviewWire),
});

/** An order with everything a party needs to see what happened. */
export async function orderDetail(ctx: MarketRouteContext, ex: Executor, order: MarketOrder) {
  const dispute = await ctx.market.orders.dispute(ex, order.id);
  return {
    ...orderWire(ctx, order),
    threadId: (await ctx.market.threads.ofOrder(ex, order.id)).id,
    events: (await ctx.market.orders.events(ex, order.id)).map((e) => ({
      id: e.id,
      event: e.event,
      from: e.from_status,
      to: e.to_status,
      actorId: e.actor_id,
      role: e.role,
      reason: e.reason,
      at: isoOf(e.at_ms),
    })),
    receipts: (await ctx.receipts.chainOf(ex, order.id)).map((r) => ({
      id: r.id,
      kind: r.kind,
      jws: r.jws,
      prevId: r.prev_id,
    })),
    dispute: dispute ? disputeWire(ctx, dispute, order.terms.asset) : null,
    reviews: (await ctx.market.reviews.ofOrder(ex, order.id)).map(reviewWire),
  };
}
