import { sql } from "kysely";
import type { Executor } from "../db/db.ts";
import { num, numOrNull } from "../db/db.ts";
import { statsLimits as L } from "./limits.ts";
import type { LiveEvent } from "./model.ts";

/**
 * The live feed reads two logs by id: order_events (`evt_…`, invocations and settlements) and
 * market_order_events (`mevt_…`). A cursor is the id body (a ULID) last read from each, joined
 * by a dot; it is the SSE event id, so a client resumes with Last-Event-ID.
 */
export interface LiveCursor {
  order_event: string;
  market_event: string;
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";
const ULID = "[0-9a-hjkmnp-tv-z]{26}";
const CURSOR = new RegExp(`^(${ULID})\\.(${ULID})$`);

/** The smallest ULID of a millisecond (kernel/ids.ts encodes time the same way). */
export function ulidFloor(ms: number): string {
  let out = "";
  let rest = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return `${out}${"0".repeat(16)}`;
}

export function encodeCursor(c: LiveCursor): string {
  return `${c.order_event}.${c.market_event}`;
}

/** A cursor from Last-Event-ID, or null when it is not one. */
export function decodeCursor(text: string): LiveCursor | null {
  const m = CURSOR.exec(text);
  return m?.[1] && m[2] ? { order_event: m[1], market_event: m[2] } : null;
}

/** A cursor at a moment: the feed from there on. */
export function cursorAt(ms: number): LiveCursor {
  const floor = ulidFloor(ms);
  return { order_event: floor, market_event: floor };
}

const iso = (ms: number) => new Date(ms).toISOString();

interface OrderEventRow {
  id: string;
  subject: string;
  to_status: string;
  at_ms: number | bigint;
  service: string | null;
  skill_key: string;
  operation: string;
  rail: string;
  latency_ms: number | bigint | null;
}

/** Invocations (an order leaving `executing`) and settlements (a payment released or refunded). */
async function orderEvents(ex: Executor, after: string, before: string) {
  const found = await sql<OrderEventRow>`
    select e.id, e.subject, e.to_status, e.at_ms, s.name as service, o.skill_key, o.operation,
      o.rail,
      (select r.latency_ms from order_runs r where r.order_id = o.id and r.status <> 'running'
        order by r.id desc limit 1) as latency_ms
    from order_events e
    join orders o on o.id = e.order_id
    left join catalog_services s on s.id = o.service_id
    where e.id > ${`evt_${after}`} and e.id < ${`evt_${before}`}
      and ((e.subject = 'order' and e.from_status = 'executing'
            and e.to_status in ('delivered', 'failed'))
        or (e.subject = 'payment' and e.to_status in ('released', 'refunded')))
    order by e.id limit ${L.live_page_max}`.execute(ex);
  return found.rows.map((r) => {
    const common = {
      service: r.service,
      skill: r.skill_key,
      operation: r.operation,
      rail: r.rail,
      at: iso(num(r.at_ms)),
    };
    const body = r.id.slice("evt_".length);
    if (r.subject === "order") {
      const status = r.to_status === "delivered" ? "succeeded" : "failed";
      const data = { ...common, status, latency_ms: numOrNull(r.latency_ms) };
      return { body, type: "invocation" as const, data };
    }
    return { body, type: "settlement" as const, data: { ...common, status: r.to_status } };
  });
}

/** Market order transitions: which kind of listing moved, by which event, to which status. */
async function marketEvents(ex: Executor, after: string, before: string) {
  const found = await sql<{
    id: string;
    event: string;
    from_status: string;
    to_status: string;
    listing_kind: string;
    at_ms: number | bigint;
  }>`
    select m.id, m.event, m.from_status, m.to_status, o.listing_kind, m.at_ms
    from market_order_events m join market_orders o on o.id = m.order_id
    where m.id > ${`mevt_${after}`} and m.id < ${`mevt_${before}`}
    order by m.id limit ${L.live_page_max}`.execute(ex);
  return found.rows.map((r) => ({
    body: r.id.slice("mevt_".length),
    type: "market" as const,
    data: {
      listing_kind: r.listing_kind,
      event: r.event,
      from_status: r.from_status,
      status: r.to_status,
      at: iso(num(r.at_ms)),
    },
  }));
}

/**
 * The events after a cursor that are old enough to be committed everywhere (see
 * `live_commit_lag_ms`), in time order, each carrying the cursor that resumes after it.
 */
export async function livePage(
  ex: Executor,
  cursor: LiveCursor,
  now_ms: number,
): Promise<{ events: LiveEvent[]; cursor: LiveCursor }> {
  const before = ulidFloor(now_ms - L.live_commit_lag_ms);
  const orders = await orderEvents(ex, cursor.order_event, before);
  const market = await marketEvents(ex, cursor.market_event, before);
  // A full page of one source bounds what the other may pass, so the merge stays in order.
  const limit =
    [orders, market]
      .filter((page) => page.length === L.live_page_max)
      .map((page) => page[page.length - 1]?.body ?? before)
      .sort()[0] ?? before;
  const merged = [
    ...orders.map((e) => ({ ...e, source: "order_event" as const })),
    ...market.map((e) => ({ ...e, source: "market_event" as const })),
  ]
    .filter((e) => e.body <= limit)
    .sort((a, b) => (a.body < b.body ? -1 : a.body > b.body ? 1 : 0));
  let at = { ...cursor };
  const events: LiveEvent[] = [];
  for (const e of merged) {
    at = { ...at, [e.source]: e.body };
    events.push({ cursor: encodeCursor(at), type: e.type, data: e.data });
  }
  return { events, cursor: at };
}
