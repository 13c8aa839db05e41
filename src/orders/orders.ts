import { beforeCommit, type Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import {
  nextOrderStatus,
  nextPaymentStatus,
  type OrderEvent,
  type PaymentEvent,
} from "./machine.ts";
import type { Order, OrderEventRow, Outcome, Payment, Rail, Run } from "./model.ts";
import { orderProblems } from "./problems.ts";
import * as store from "./store.ts";

/** Who caused a change, and why: kept with every transition as the audit trail. */
export interface Actor {
  id: string;
  reason: string;
}

export type NewOrder = Omit<
  Order,
  "id" | "status" | "created_at_ms" | "updated_at_ms" | "input_sha256" | "handoff" | "error"
>;

/** Orders, payments, runs and outcomes. Every write takes the caller's transaction. */
export function createOrders(deps: { clock: Clock }) {
  const { clock } = deps;

  /**
   * Write-behind for rows a transaction inserted itself. Until it commits nobody else can see
   * (SQLite: nobody else writes; PostgreSQL: the rows are invisible and locked), so their later
   * transitions need no guard against a concurrent change: each is checked against the state
   * kept here, by the same state machine, and the last state is written once, just before commit
   * (a call that creates, pays, runs and settles an order writes it twice instead of six times).
   * A run started and finished in the same transaction is inserted finished. Reads of this
   * module in that transaction see the kept state, or write it out first.
   */
  interface Owned {
    orders: Map<string, { row: Order; dirty: boolean }>;
    /** By order id (an order has one payment). */
    payments: Map<string, { row: Payment; dirty: boolean }>;
    /** Started, not inserted yet. */
    runs: Map<string, Run>;
  }
  const owned = new WeakMap<Executor, Owned>();

  function own(tx: Executor): Owned | null {
    const found = owned.get(tx);
    if (found) return found;
    const fresh: Owned = { orders: new Map(), payments: new Map(), runs: new Map() };
    if (!beforeCommit(tx, () => writeBack(tx, fresh))) return null;
    owned.set(tx, fresh);
    return fresh;
  }

  async function writeBack(ex: Executor, o: Owned): Promise<void> {
    for (const kept of o.orders.values()) {
      if (!kept.dirty) continue;
      await store.setOrderState(ex, kept.row);
      kept.dirty = false;
    }
    for (const kept of o.payments.values()) {
      if (!kept.dirty) continue;
      await store.setPaymentState(ex, kept.row);
      kept.dirty = false;
    }
    for (const run of o.runs.values()) await store.insertRun(ex, run);
    o.runs.clear();
  }

  /** Before a query that reads this module's tables in bulk: the kept state, written now. */
  async function settled(ex: Executor): Promise<Executor> {
    const o = owned.get(ex);
    if (o) await writeBack(ex, o);
    return ex;
  }
  // Audit events of a transaction, written together just before it commits (one statement
  // instead of one per transition; they commit, or roll back, with their transitions all the same).
  const queued = new WeakMap<Executor, OrderEventRow[]>();

  async function recordEvent(tx: Executor, e: OrderEventRow): Promise<void> {
    const rows = queued.get(tx);
    if (rows) {
      rows.push(e);
      return;
    }
    const fresh = [e];
    const flush = async () => {
      queued.delete(tx);
      await store.insertEvents(tx, fresh);
    };
    if (beforeCommit(tx, flush)) queued.set(tx, fresh);
    else await store.insertEvent(tx, e);
  }

  /** Creates an order, or returns the buyer's existing order with the same client_ref. */
  async function create(tx: Executor, spec: NewOrder): Promise<{ order: Order; created: boolean }> {
    const now_ms = clock.now_ms();
    const order: Order = {
      ...spec,
      id: newId("ord", now_ms),
      status: "created",
      input_sha256: sha256Hex(canonicalJson(spec.input ?? null)),
      handoff: null,
      error: null,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    if (await store.insertOrder(tx, order)) {
      own(tx)?.orders.set(order.id, { row: order, dirty: false });
      return { order, created: true };
    }
    const existing = spec.client_ref
      ? await store.orderByClientRef(tx, spec.buyer_id, spec.client_ref)
      : null;
    if (!existing) throw new Error("order insert lost without a twin");
    return { order: existing, created: false };
  }

  async function get(ex: Executor, id: string): Promise<Order> {
    const kept = owned.get(ex)?.orders.get(id);
    if (kept) return kept.row;
    const order = await store.getOrder(ex, id);
    if (!order) throw new Problem(orderProblems.ORDER_NOT_FOUND, `no order ${id}`);
    return order;
  }

  /** Applies an event to an order (guarded), writing the audit event in the same transaction. */
  async function transition(
    tx: Executor,
    order: Order,
    event: OrderEvent,
    actor: Actor,
    patch: { error?: string | null; handoff?: Record<string, unknown> | null } = {},
  ): Promise<Order> {
    const to = nextOrderStatus(order.status, event);
    const kept = owned.get(tx)?.orders.get(order.id);
    const moved = !to
      ? false
      : kept
        ? kept.row.status === order.status
        : await store.moveOrder(tx, order.id, order.status, to, clock.now_ms(), patch);
    if (!to || !moved) {
      const now = kept?.row.status ?? (await store.getOrder(tx, order.id))?.status ?? order.status;
      throw new Problem(
        orderProblems.ORDER_TRANSITION_FORBIDDEN,
        `order ${order.id} is ${now}; ${event} is not allowed`,
        { extensions: { status: now, event } },
      );
    }
    await recordEvent(tx, {
      id: newId("evt", clock.now_ms()),
      order_id: order.id,
      subject: "order",
      event,
      from_status: order.status,
      to_status: to,
      actor_id: actor.id,
      reason: actor.reason,
      at_ms: clock.now_ms(),
    });
    const next = { ...order, status: to, updated_at_ms: clock.now_ms(), ...patch } as Order;
    if (kept) {
      kept.row = next;
      kept.dirty = true;
    }
    return next;
  }

  /** Creates the order's payment, or returns the one it has (payment intents are idempotent). */
  async function createPayment(
    tx: Executor,
    order: Order,
    spec: {
      rail: Rail;
      status: "intent_created" | "not_required";
      verification: Payment["verification"];
    },
  ): Promise<{ payment: Payment; created: boolean }> {
    const now_ms = clock.now_ms();
    const payment: Payment = {
      id: newId("pay", now_ms),
      order_id: order.id,
      rail: spec.rail,
      status: spec.status,
      amount_minor: order.amount_minor,
      asset: order.asset,
      hold_id: null,
      channel_id: null,
      verification: spec.verification,
      proof: null,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    if (await store.insertPayment(tx, payment)) {
      own(tx)?.payments.set(order.id, { row: payment, dirty: false });
      return { payment, created: true };
    }
    const existing = await store.paymentOf(tx, order.id);
    if (!existing) throw new Error("payment insert lost without a twin");
    return { payment: existing, created: false };
  }

  async function findPayment(ex: Executor, order_id: string): Promise<Payment | null> {
    return owned.get(ex)?.payments.get(order_id)?.row ?? store.paymentOf(ex, order_id);
  }

  async function paymentOf(ex: Executor, order_id: string): Promise<Payment> {
    const payment = await findPayment(ex, order_id);
    if (!payment)
      throw new Problem(orderProblems.PAYMENT_NOT_FOUND, `order ${order_id} has no payment`);
    return payment;
  }

  /** Applies an event to a payment (guarded) with its audit event. */
  async function paymentTransition(
    tx: Executor,
    payment: Payment,
    event: PaymentEvent,
    actor: Actor,
    patch: Parameters<typeof store.movePayment>[5] = {},
  ): Promise<Payment> {
    const to = nextPaymentStatus(payment.status, event);
    const kept = owned.get(tx)?.payments.get(payment.order_id);
    const moved = !to
      ? false
      : kept
        ? kept.row.status === payment.status
        : await store.movePayment(tx, payment.id, payment.status, to, clock.now_ms(), patch);
    if (!to || !moved) {
      const now =
        kept?.row.status ?? (await store.paymentOf(tx, payment.order_id))?.status ?? payment.status;
      throw new Problem(
        orderProblems.PAYMENT_TRANSITION_FORBIDDEN,
        `payment ${payment.id} is ${now}; ${event} is not allowed`,
        { extensions: { status: now, event } },
      );
    }
    await recordEvent(tx, {
      id: newId("evt", clock.now_ms()),
      order_id: payment.order_id,
      subject: "payment",
      event,
      from_status: payment.status,
      to_status: to,
      actor_id: actor.id,
      reason: actor.reason,
      at_ms: clock.now_ms(),
    });
    const next = { ...payment, ...patch, status: to, updated_at_ms: clock.now_ms() } as Payment;
    if (kept) {
      kept.row = next;
      kept.dirty = true;
    }
    return next;
  }

  async function startRun(tx: Executor, order: Order, route: string): Promise<Run> {
    const run: Run = {
      id: newId("run", clock.now_ms()),
      order_id: order.id,
      service_id: order.service_id,
      skill_key: order.skill_key,
      route,
      status: "running",
      started_at_ms: clock.now_ms(),
      finished_at_ms: null,
      latency_ms: null,
      error: null,
    };
    const o = own(tx);
    if (o) o.runs.set(run.id, run);
    else await store.insertRun(tx, run);
    return run;
  }

  /** Closes a run; a successful one records its outcome (result and its digest). */
  async function finishRun(
    tx: Executor,
    run: Run,
    result:
      | { ok: true; value: unknown; latency_ms: number }
      | { ok: false; error: string; latency_ms: number },
  ): Promise<Outcome | null> {
    const now_ms = clock.now_ms();
    const end = {
      status: result.ok ? ("succeeded" as const) : ("failed" as const),
      finished_at_ms: now_ms,
      latency_ms: result.latency_ms,
      error: result.ok ? null : result.error,
    };
    const o = owned.get(tx);
    const started = o?.runs.get(run.id);
    if (o && started) {
      // Started in this transaction: inserted once, finished (before its outcome refers to it).
      o.runs.delete(run.id);
      if (started.status === "running") await store.insertRun(tx, { ...started, ...end });
      else await store.insertRun(tx, started);
    } else {
      await store.finishRun(tx, run.id, end);
    }
    if (!result.ok) return null;
    const outcome: Outcome = {
      id: newId("out", now_ms),
      run_id: run.id,
      order_id: run.order_id,
      result_sha256: sha256Hex(canonicalJson(result.value ?? null)),
      result: result.value,
      created_at_ms: now_ms,
    };
    await store.insertOutcome(tx, outcome);
    return outcome;
  }

  return {
    create,
    get,
    transition,
    createPayment,
    paymentOf,
    findPayment,
    paymentTransition,
    /** Sets the hold of a held payment that had none (x402 after settlement); guarded. */
    attachHold: async (
      ex: Executor,
      payment: Payment,
      hold_id: string,
      proof: Record<string, unknown>,
    ): Promise<boolean> => {
      const kept = owned.get(ex)?.payments.get(payment.order_id);
      if (!kept) return store.attachHold(ex, payment.id, hold_id, proof, clock.now_ms());
      if (kept.row.status !== "held" || kept.row.hold_id !== null) return false;
      const verification = "ledger" as const;
      kept.row = { ...kept.row, hold_id, proof, verification, updated_at_ms: clock.now_ms() };
      kept.dirty = true;
      return true;
    },
    startRun,
    finishRun,
    list: async (
      ex: Executor,
      f: Parameters<typeof store.listOrders>[1],
      before: string | null,
      limit: number,
    ) => store.listOrders(await settled(ex), f, before, limit),
    /** An order's audit trail (with what this transaction has recorded so far). */
    events: async (ex: Executor, order_id: string) => {
      await settled(ex);
      const rows = queued.get(ex);
      if (rows?.length) await store.insertEvents(ex, rows.splice(0));
      return store.eventsOf(ex, order_id);
    },
    runs: async (ex: Executor, f: Parameters<typeof store.runsOf>[1], limit: number) =>
      store.runsOf(await settled(ex), f, limit),
    outcomeOf: async (ex: Executor, order_id: string) =>
      store.outcomeOf(await settled(ex), order_id),
    outcomesOfPairings: async (ex: Executor, ...a: DropFirst<typeof store.outcomesOfPairings>) =>
      store.outcomesOfPairings(await settled(ex), ...a),
    stuckExecuting: async (ex: Executor, before_ms: number, limit: number) =>
      store.stuckExecuting(await settled(ex), before_ms, limit),
    /** Marks runs left `running` by a dead process as failed. */
    abandonRuns: async (ex: Executor, order_id: string) =>
      store.abandonRuns(await settled(ex), order_id, clock.now_ms()),
  };
}

type DropFirst<F> = F extends (first: never, ...rest: infer R) => unknown ? R : never;

export type Orders = ReturnType<typeof createOrders>;
