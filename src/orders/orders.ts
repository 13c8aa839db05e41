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
    if (await store.insertOrder(tx, order)) return { order, created: true };
    const existing = spec.client_ref
      ? await store.orderByClientRef(tx, spec.buyer_id, spec.client_ref)
      : null;
    if (!existing) throw new Error("order insert lost without a twin");
    return { order: existing, created: false };
  }

  async function get(ex: Executor, id: string): Promise<Order> {
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
    if (!to || !(await store.moveOrder(tx, order.id, order.status, to, clock.now_ms(), patch))) {
      const now = (await store.getOrder(tx, order.id))?.status ?? order.status;
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
    return { ...order, status: to, updated_at_ms: clock.now_ms(), ...patch } as Order;
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
    if (await store.insertPayment(tx, payment)) return { payment, created: true };
    const existing = await store.paymentOf(tx, order.id);
    if (!existing) throw new Error("payment insert lost without a twin");
    return { payment: existing, created: false };
  }

  async function paymentOf(ex: Executor, order_id: string): Promise<Payment> {
    const payment = await store.paymentOf(ex, order_id);
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
    if (
      !to ||
      !(await store.movePayment(tx, payment.id, payment.status, to, clock.now_ms(), patch))
    ) {
      const now = (await store.paymentOf(tx, payment.order_id))?.status ?? payment.status;
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
    return { ...payment, ...patch, status: to, updated_at_ms: clock.now_ms() } as Payment;
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
    await store.insertRun(tx, run);
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
    await store.finishRun(tx, run.id, {
      status: result.ok ? "succeeded" : "failed",
      finished_at_ms: now_ms,
      latency_ms: result.latency_ms,
      error: result.ok ? null : result.error,
    });
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
    findPayment: store.paymentOf,
    paymentTransition,
    /** Sets the hold of a held payment that had none (x402 after settlement); guarded. */
    attachHold: (ex: Executor, payment: Payment, hold_id: string, proof: Record<string, unknown>) =>
      store.attachHold(ex, payment.id, hold_id, proof, clock.now_ms()),
    startRun,
    finishRun,
    list: store.listOrders,
    /** An order's audit trail (with what this transaction has recorded so far). */
    events: async (ex: Executor, order_id: string) => {
      const rows = queued.get(ex);
      if (rows?.length) await store.insertEvents(ex, rows.splice(0));
      return store.eventsOf(ex, order_id);
    },
    runs: store.runsOf,
    outcomeOf: store.outcomeOf,
    outcomesOfPairings: store.outcomesOfPairings,
    stuckExecuting: store.stuckExecuting,
    /** Marks runs left `running` by a dead process as failed. */
    abandonRuns: (ex: Executor, order_id: string) =>
      store.abandonRuns(ex, order_id, clock.now_ms()),
  };
}

export type Orders = ReturnType<typeof createOrders>;
