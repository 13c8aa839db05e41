import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import type { Executor } from "../../../db/db.ts";
import { scopeCovers } from "../../../identity/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { Problem } from "../../../kernel/problem.ts";
import {
  type Attachment,
  eventsFor,
  type Listing,
  type MarketOrder,
  type Message,
  marketLimits,
  marketProblems,
  type Reputation,
  type Role,
  rolesOn,
  type Thread,
} from "../../../market/index.ts";
import { callerOf } from "../../auth.ts";
import { moneyWire } from "../../wire.ts";
import type { MarketRouteContext } from "./index.ts";

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Id = (prefix: string) =>
  Type.Object({ id: Type.String({ pattern: `^${prefix}_[0-9a-z]{26}$` }) });

export const AttachmentBody = Type.Object(
  {
    url: Type.String({ format: "uri", pattern: "^https?://", maxLength: 2048 }),
    name: Type.Optional(Type.String({ maxLength: marketLimits.attachment_name_chars_max })),
    sha256: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
  },
  { additionalProperties: false },
);
export const Attachments = Type.Array(AttachmentBody, { maxItems: marketLimits.attachments_max });

const WireMoney = Type.Object({
  amount: Type.String(),
  amountMinor: Type.String(),
  asset: Type.String(),
});

function money(ctx: MarketRouteContext, amount_minor: bigint, asset: string) {
  const m = moneyWire(ctx, amount_minor, asset);
  return { amount: m.amount, amountMinor: m.amount_minor, asset };
}

export const ReputationWire = Type.Object({
  principalId: Type.String(),
  score: Type.Number(),
  reviews: Type.Integer(),
  ratingMean: Type.Union([Type.Number(), Type.Null()]),
  completed: Type.Integer(),
  resolved: Type.Integer(),
  disputed: Type.Integer(),
  refunded: Type.Integer(),
  cancelled: Type.Integer(),
});

export const reputationWire = (r: Reputation) => ({
  principalId: r.principal_id,
  score: r.score,
  reviews: r.reviews,
  ratingMean: r.rating_mean,
  completed: r.completed,
  resolved: r.resolved,
  disputed: r.disputed,
  refunded: r.refunded,
  cancelled: r.cancelled,
});

export const ListingWire = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  ownerId: Type.String(),
  title: Type.String(),
  description: Type.String(),
  category: Type.String(),
  tags: Type.Array(Type.String()),
  price: Type.Object({ type: Type.String(), min: WireMoney, max: WireMoney }),
  deadline: Nullable(Type.String()),
  attachments: Type.Array(Type.Unknown()),
  status: Type.String(),
  ownerReputation: Type.Union([ReputationWire, Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export function listingWire(ctx: MarketRouteContext, l: Listing, rep: Reputation | null) {
  return {
    id: l.id,
    kind: l.kind,
    ownerId: l.owner_id,
    title: l.title,
    description: l.description,
    category: l.category,
    tags: l.tags,
    price: {
      type: l.price.type,
      min: money(ctx, l.price.min_minor, l.price.asset),
      max: money(ctx, l.price.max_minor, l.price.asset),
    },
    deadline: l.deadline_ms === null ? null : isoOf(l.deadline_ms),
    attachments: l.attachments,
    status: l.status,
    ownerReputation: rep ? reputationWire(rep) : null,
    createdAt: isoOf(l.created_at_ms),
    updatedAt: isoOf(l.updated_at_ms),
  };
}

/** Listings with their owners' reputation, read in two grouped queries. */
export async function listingsWire(ctx: MarketRouteContext, ex: Executor, items: Listing[]) {
  const reps = await ctx.market.reviews.reputations(
    ex,
    items.map((l) => l.owner_id),
  );
  return items.map((l) => listingWire(ctx, l, reps.get(l.owner_id) ?? null));
}

export const OrderWire = Type.Object({
  id: Type.String(),
  listingId: Type.String(),
  listingKind: Type.String(),
  buyerId: Type.String(),
  sellerId: Type.String(),
  status: Type.String(),
  version: Type.Integer(),
  terms: Type.Object({
    scope: Type.String(),
    price: WireMoney,
    deliveryDeadline: Nullable(Type.String()),
  }),
  termsHash: Type.String(),
  allowedEvents: Type.Object(
    { buyer: Type.Array(Type.String()), seller: Type.Array(Type.String()) },
    {
      description:
        "What each party may fire next (a condition such as a deadline may still refuse)",
    },
  ),
  agreed: Type.Object({ buyer: Type.Boolean(), seller: Type.Boolean() }),
  fee: WireMoney,
  holdId: Nullable(Type.String()),
  rejections: Type.Integer(),
  round: Type.Integer(),
  proof: Type.Union([
    Type.Object({
      text: Type.String(),
      urls: Type.Array(Type.String()),
      digests: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export function orderWire(ctx: MarketRouteContext, o: MarketOrder) {
  const { terms } = o;
  return {
    id: o.id,
    listingId: o.listing_id,
    listingKind: o.listing_kind,
    buyerId: o.buyer_id,
    sellerId: o.seller_id,
    status: o.status,
    version: o.version,
    terms: {
      scope: terms.scope,
      price: money(ctx, terms.price_minor, terms.asset),
      deliveryDeadline:
        terms.delivery_deadline_ms === null ? null : isoOf(terms.delivery_deadline_ms),
    },
    termsHash: o.terms_hash,
    allowedEvents: {
      buyer: eventsFor(o.status, "buyer"),
      seller: eventsFor(o.status, "seller"),
    },
    agreed: { buyer: o.buyer_agreed === o.terms_hash, seller: o.seller_agreed === o.terms_hash },
    fee: money(ctx, o.fee_minor, terms.asset),
    holdId: o.hold_id,
    rejections: o.rejections,
    round: o.round,
    proof: o.proof,
    createdAt: isoOf(o.created_at_ms),
    updatedAt: isoOf(o.updated_at_ms),
  };
}

export const MessageWire = Type.Object({
  id: Type.String(),
  threadId: Type.String(),
  authorId: Type.String(),
  kind: Type.String(),
  body: Type.String(),
  attachments: Type.Array(Type.Unknown()),
  createdAt: Type.String(),
});

export const messageWire = (m: Message) => ({
  id: m.id,
  threadId: m.thread_id,
  authorId: m.author_id,
  kind: m.kind,
  body: m.body,
  attachments: m.attachments,
  createdAt: isoOf(m.created_at_ms),
});

/** Attachments as sent, without absent optional fields. */
export const attachmentsOf = (a: Attachment[] | undefined): Attachment[] =>
  (a ?? []).map((x) => ({
    url: x.url,
    ...(x.name !== undefined ? { name: x.name } : {}),
    ...(x.sha256 !== undefined ? { sha256: x.sha256 } : {}),
  }));

/**
 * Loads an order for a party or the operator; anyone else gets MARKET_ORDER_NOT_FOUND, so order
 * ids reveal nothing to strangers.
 */
export async function orderFor(
  ctx: MarketRouteContext,
  ex: Executor,
  request: FastifyRequest,
  id: string,
): Promise<{ order: MarketOrder; roles: Role[] }> {
  const caller = callerOf(request);
  const order = await ctx.market.orders.get(ex, id);
  const roles = rolesOn(order, caller.principal.id, scopeCovers(caller.key.scope, "admin"));
  if (roles.length === 0)
    throw new Problem(marketProblems.MARKET_ORDER_NOT_FOUND, `no order ${id}`);
  return { order, roles };
}

/** ISO date-time text to milliseconds (the schema checked the format). */
export const msOf = (iso: string) => Date.parse(iso);

export const ThreadWire = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  buyerId: Type.String(),
  sellerId: Type.String(),
  messages: Type.Integer(),
  createdAt: Type.String(),
  lastMessageAt: Type.String(),
});

export const threadWire = (t: Thread) => ({
  id: t.id,
  orderId: t.order_id,
  buyerId: t.buyer_id,
  sellerId: t.seller_id,
  messages: t.messages,
  createdAt: isoOf(t.created_at_ms),
  lastMessageAt: isoOf(t.last_message_at_ms),
});
