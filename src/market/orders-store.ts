import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import { type MarketEvent, type MarketStatus, negotiationStatuses, type Role } from "./machine.ts";
import type {
  DeliveryProof,
  Dispute,
  DisputeDecision,
  ListingKind,
  MarketOrder,
  MarketOrderEvent,
} from "./model.ts";

type Int = number | bigint;

interface OrderRow {
  id: string;
  listing_id: string;
  listing_kind: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  version: Int;
  scope: string;
  price_minor: Int;
  asset: string;
  delivery_deadline_ms: Int | null;
  terms_hash: string;
  buyer_agreed: string | null;
  seller_agreed: string | null;
  fee_minor: Int;
  hold_id: string | null;
  rejections: Int;
  round: Int;
  proof: string | null;
  was_disputed: Int;
  open_key: string | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface EventRow extends Omit<MarketOrderEvent, "at_ms"> {
  at_ms: Int;
}

interface DisputeRow {
  order_id: string;
  opened_by: string;
  reason: string;
  opened_at_ms: Int;
  evidence_due_at_ms: Int | null;
  decision: string | null;
}

interface OrderTables {
  market_orders: OrderRow;
  market_order_events: EventRow;
  market_disputes: DisputeRow;
}

const q = (ex: Executor) => tablesOf<OrderTables>(ex);

function toOrder(r: OrderRow): MarketOrder {
  return {
    id: r.id,
    listing_id: r.listing_id,
    listing_kind: r.listing_kind as ListingKind,
    buyer_id: r.buyer_id,
    seller_id: r.seller_id,
    status: r.status as MarketStatus,
    version: num(r.version),
    terms: {
      scope: r.scope,
      price_minor: big(r.price_minor),
      asset: r.asset,
      delivery_deadline_ms: numOrNull(r.delivery_deadline_ms),
    },
    terms_hash: r.terms_hash,
    buyer_agreed: r.buyer_agreed,
    seller_agreed: r.seller_agreed,
    fee_minor: big(r.fee_minor),
    hold_id: r.hold_id,
    rejections: num(r.rejections),
    round: num(r.round),
    proof: r.proof === null ? null : (JSON.parse(r.proof) as DeliveryProof),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

/** The key that keeps one open negotiation per listing and counterparty. */
export function openKeyOf(o: Pick<MarketOrder, "listing_id" | "buyer_id" | "seller_id">) {
  return `${o.listing_id}:${o.buyer_id}:${o.seller_id}`;
}

function mutableFields(o: MarketOrder) {
  return {
    status: o.status,
    version: o.version,
    scope: o.terms.scope,
    price_minor: o.terms.price_minor,
    asset: o.terms.asset,
    delivery_deadline_ms: o.terms.delivery_deadline_ms,
    terms_hash: o.terms_hash,
    buyer_agreed: o.buyer_agreed,
    seller_agreed: o.seller_agreed,
    fee_minor: o.fee_minor,
    hold_id: o.hold_id,
    rejections: o.rejections,
    round: o.round,
    proof: o.proof === null ? null : JSON.stringify(o.proof),
    open_key: negotiationStatuses.includes(o.status) ? openKeyOf(o) : null,
    updated_at_ms: o.updated_at_ms,
  };
}

/** Inserts an order; false when the counterparty already negotiates on this listing. */
export async function insertOrder(ex: Executor, o: MarketOrder): Promise<boolean> {
  const r = await q(ex)
    .insertInto("market_orders")
    .values({
      id: o.id,
      listing_id: o.listing_id,
      listing_kind: o.listing_kind,
      buyer_id: o.buyer_id,
      seller_id: o.seller_id,
      created_at_ms: o.created_at_ms,
      was_disputed: 0,
      ...mutableFields(o),
    })
    .onConflict((oc) => oc.column("open_key").doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function orderByOpenKey(ex: Executor, open_key: string) {
  const row = await q(ex)
    .selectFrom("market_orders")
    .selectAll()
    .where("open_key", "=", open_key)
    .executeTakeFirst();
  return row ? toOrder(row) : null;
}

export async function getOrder(ex: Executor, id: string): Promise<MarketOrder | null> {
  const row = await q(ex)
    .selectFrom("market_orders")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toOrder(row) : null;
}

/** Writes the next version of an order; false when `prev` is no longer the stored version. */
export async function replaceOrder(
  ex: Executor,
  prev: MarketOrder,
  next: MarketOrder,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("market_orders")
    // Once disputed, always counted as disputed in the parties' reputations.
    .set({ ...mutableFields(next), ...(next.status === "DISPUTED" ? { was_disputed: 1 } : {}) })
    .where("id", "=", prev.id)
    .where("status", "=", prev.status)
    .where("version", "=", prev.version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertEvent(ex: Executor, e: MarketOrderEvent): Promise<void> {
  await q(ex).insertInto("market_order_events").values(e).execute();
}

/** The event an actor already applied with this request key, if any. */
export async function eventByRequestKey(
  ex: Executor,
  order_id: string,
  actor_id: string,
  request_key: string,
): Promise<MarketOrderEvent | null> {
  const row = await q(ex)
    .selectFrom("market_order_events")
    .selectAll()
    .where("order_id", "=", order_id)
    .where("actor_id", "=", actor_id)
    .where("request_key", "=", request_key)
    .executeTakeFirst();
  return row ? toEvent(row) : null;
}

const toEvent = (r: EventRow): MarketOrderEvent => ({
  ...r,
  event: r.event as MarketEvent,
  from_status: r.from_status as MarketStatus,
  to_status: r.to_status as MarketStatus,
  role: r.role as Role,
  at_ms: num(r.at_ms),
});

export async function eventsOf(ex: Executor, order_id: string): Promise<MarketOrderEvent[]> {
  const rows = await q(ex)
    .selectFrom("market_order_events")
    .selectAll()
    .where("order_id", "=", order_id)
    .orderBy("id")
    .execute();
  return rows.map(toEvent);
}

/**
 * Orders newest first before a cursor: one party's (as buyer or seller), or every order of the
 * hub when `party_id` is null (the operator's queues; the caller checks who may ask).
 */
export async function listOrders(
  ex: Executor,
  f: { party_id: string | null; status?: MarketStatus; listing_id?: string },
  before: string | null,
  limit: number,
): Promise<MarketOrder[]> {
  let query = q(ex).selectFrom("market_orders").selectAll();
  const party = f.party_id;
  if (party !== null)
    query = query.where((eb) => eb.or([eb("buyer_id", "=", party), eb("seller_id", "=", party)]));
  if (f.status) query = query.where("status", "=", f.status);
  if (f.listing_id) query = query.where("listing_id", "=", f.listing_id);
  if (before) query = query.where("id", "<", before);
  return (await query.orderBy("id", "desc").limit(limit).execute()).map(toOrder);
}

/** Orders still negotiating on a listing (all buyers, or one), except one order. */
export async function negotiatingOn(
  ex: Executor,
  f: { listing_id: string; buyer_id?: string; except_id?: string },
  limit: number,
): Promise<MarketOrder[]> {
  let query = q(ex)
    .selectFrom("market_orders")
    .selectAll()
    .where("listing_id", "=", f.listing_id)
    .where("status", "in", [...negotiationStatuses]);
  if (f.buyer_id) query = query.where("buyer_id", "=", f.buyer_id);
  if (f.except_id) query = query.where("id", "!=", f.except_id);
  return (await query.orderBy("id").limit(limit).execute()).map(toOrder);
}

function toDispute(r: DisputeRow): Dispute {
  const d = r.decision === null ? null : (JSON.parse(r.decision) as Record<string, unknown>);
  return {
    order_id: r.order_id,
    opened_by: r.opened_by,
    reason: r.reason,
    opened_at_ms: num(r.opened_at_ms),
    evidence_due_at_ms: numOrNull(r.evidence_due_at_ms),
    decision: d
      ? ({
          ...d,
          seller_minor: BigInt(d.seller_minor as string),
          buyer_minor: BigInt(d.buyer_minor as string),
          fee_minor: BigInt(d.fee_minor as string),
        } as DisputeDecision)
      : null,
  };
}

/** Opens the order's dispute; DISPUTED is left only by resolve, so there is one per order. */
export async function insertDispute(ex: Executor, d: Dispute): Promise<void> {
  await q(ex)
    .insertInto("market_disputes")
    .values({ ...d, decision: null })
    .execute();
}

export async function getDispute(ex: Executor, order_id: string): Promise<Dispute | null> {
  const row = await q(ex)
    .selectFrom("market_disputes")
    .selectAll()
    .where("order_id", "=", order_id)
    .executeTakeFirst();
  return row ? toDispute(row) : null;
}

/** Records the decision once; false when the dispute was decided already. */
export async function decideDispute(
  ex: Executor,
  order_id: string,
  decision: DisputeDecision,
): Promise<boolean> {
  const text = JSON.stringify(decision, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  const r = await q(ex)
    .updateTable("market_disputes")
    .set({ decision: text })
    .where("order_id", "=", order_id)
    .where("decision", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
