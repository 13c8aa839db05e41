import type { Database, Executor, Tx } from "../db/db.ts";
import { isoOf } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import type { MarketActor, MarketOrder, MarketStatus } from "../market/index.ts";
import type { Outbox, OutboxHandler } from "../outbox/index.ts";
import type { MarketFlows } from "./market.ts";

/** Timed events of market orders (outbox rows due at the deadline). */
export const TOPIC_MARKET_REVIEW_START = "market.review_start_due";
export const TOPIC_MARKET_AUTO_ACCEPT = "market.auto_accept_due";
export const TOPIC_MARKET_DELIVERY_DUE = "market.delivery_due";

/** Deadlines of a delivery round are keyed by round: a rejected round's timers never fire. */
export const deadlineKeys = {
  delivery: (o: MarketOrder) => `market:delivery:${o.id}`,
  reviewStart: (o: MarketOrder) => `market:review_start:${o.id}:${o.round}`,
  autoAccept: (o: MarketOrder) => `market:auto_accept:${o.id}:${o.round}`,
};

const SYSTEM = (reason: string): MarketActor => ({ id: "system", roles: ["system"], reason });

/** Scheduling and clearing of an order's timed events, in the caller's transaction. */
export function createDeadlines(deps: {
  outbox: Outbox;
  review_start_after_ms: number;
  auto_accept_after_ms: number;
  now_ms(): number;
}) {
  const { outbox } = deps;
  return {
    async delivery(tx: Executor, o: MarketOrder) {
      const due = o.terms.delivery_deadline_ms;
      if (due === null) return;
      await outbox.enqueue(tx, {
        topic: TOPIC_MARKET_DELIVERY_DUE,
        payload: { order_id: o.id },
        due_at_ms: due,
        dedupe_key: deadlineKeys.delivery(o),
      });
    },
    async reviewStart(tx: Executor, o: MarketOrder) {
      await outbox.enqueue(tx, {
        topic: TOPIC_MARKET_REVIEW_START,
        payload: { order_id: o.id, round: o.round },
        due_at_ms: deps.now_ms() + deps.review_start_after_ms,
        dedupe_key: deadlineKeys.reviewStart(o),
      });
    },
    async autoAccept(tx: Executor, o: MarketOrder) {
      await outbox.enqueue(tx, {
        topic: TOPIC_MARKET_AUTO_ACCEPT,
        payload: { order_id: o.id, round: o.round },
        due_at_ms: deps.now_ms() + deps.auto_accept_after_ms,
        dedupe_key: deadlineKeys.autoAccept(o),
      });
    },
    /** Cancels the round's review timers, and the delivery timer once delivery is over. */
    async clear(tx: Executor, previous: MarketOrder, to: MarketStatus) {
      await outbox.cancel(tx, deadlineKeys.reviewStart(previous));
      await outbox.cancel(tx, deadlineKeys.autoAccept(previous));
      if (to !== "ESCROWED" && to !== "DELIVERING")
        await outbox.cancel(tx, deadlineKeys.delivery(previous));
    },
  };
}

/**
 * The handlers of the market's timed events. Each re-reads the order in its own transaction and
 * acts only if the order still waits in the state (and round) the timer was set for, so a late
 * or repeated delivery of the timer does nothing.
 */
export function marketDeadlineHandlers(deps: {
  db: Database;
  flows: MarketFlows;
}): Record<string, OutboxHandler> {
  const { db, flows } = deps;
  const inTx = async (work: (tx: Tx) => Promise<unknown>) => {
    try {
      await db.transaction(work);
    } catch (error) {
      // The order moved on meanwhile (a party acted first): nothing left to do.
      if (!isProblem(error) || error.status !== 409) throw error;
    }
    return { outcome: "done" as const };
  };
  const waiting = async (tx: Tx, payload: Record<string, unknown>, status: MarketStatus) => {
    const order = await flows.market.orders.get(tx, String(payload.order_id));
    return order.status === status && order.round === Number(payload.round) ? order : null;
  };
  return {
    [TOPIC_MARKET_REVIEW_START]: (m) =>
      inTx(async (tx) => {
        const order = await waiting(tx, m.payload, "PROOF_SUBMITTED");
        if (!order) return;
        const done = await flows.fire(tx, order, "start_review", SYSTEM("review window opened"));
        await flows.notices.deadline(tx, done.order, "review_start", {
          firedEvent: "start_review",
        });
      }),
    [TOPIC_MARKET_AUTO_ACCEPT]: (m) =>
      inTx(async (tx) => {
        const order = await waiting(tx, m.payload, "REVIEWING");
        if (!order) return;
        const done = await flows.fire(
          tx,
          order,
          "accept",
          SYSTEM("accepted after the review window"),
        );
        await flows.notices.deadline(tx, done.order, "auto_accept", { firedEvent: "accept" });
      }),
    [TOPIC_MARKET_DELIVERY_DUE]: (m) =>
      inTx(async (tx) => {
        const order = await flows.market.orders.get(tx, String(m.payload.order_id));
        if (order.status !== "ESCROWED" && order.status !== "DELIVERING") return;
        const due = order.terms.delivery_deadline_ms;
        await flows.notices.systemMessage(
          tx,
          order.id,
          `The delivery deadline ${due === null ? "" : isoOf(due)} passed without a delivery: ` +
            "the buyer may cancel for a full refund.",
        );
        await flows.notices.deadline(tx, order, "delivery", { buyerMayCancel: true });
      }),
  };
}
