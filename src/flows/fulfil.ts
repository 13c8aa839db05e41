import type { Database, Tx } from "../db/db.ts";
import type { ExecutionResult } from "../execution/index.ts";
import { assert } from "../kernel/assert.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import {
  type Actor,
  type Order,
  type Outcome,
  orderProblems,
  type Payment,
  type Run,
} from "../orders/index.ts";
import type { ChainCursor, StoredReceipt } from "../receipts/index.ts";
import type { Hex } from "../x402/index.ts";
import { escrowStep } from "./escrow-chain.ts";
import {
  type PurchaseDeps,
  type Purchases,
  refundFunds,
  releaseFunds,
  SYSTEM_ACTOR,
  TOPIC_AUTO_CONFIRM,
} from "./purchase.ts";

/**
 * What a caller already holds of an order in this flow: its payment as last written (guarded
 * writes refuse it if it moved meanwhile) and the cursor of its receipt chain. Saves the reads.
 */
export interface Known {
  payment?: Payment;
  chain?: ChainCursor;
  /** The mined release or refund of an arbitrated on-chain escrow (src/flows/escrow-chain.ts). */
  escrow_tx?: Hex;
}

type Endpoint = { url: string; method: string; protocols: string[] };

function endpointsOf(order: Order): Endpoint[] {
  return (order.service_snapshot as { endpoints?: Endpoint[] }).endpoints ?? [];
}

/** Whether a service's work runs inside this process (a built-in skill) at these endpoints. */
export function runsInProcessAt(endpoints: readonly { url: string }[] | undefined): boolean {
  return endpoints?.[0]?.url.startsWith("builtin:") ?? false;
}

/** Whether an order's work runs inside this process, as its service snapshot says. */
export function runsInProcess(order: Pick<Order, "service_snapshot">): boolean {
  return runsInProcessAt((order.service_snapshot as { endpoints?: Endpoint[] }).endpoints);
}

export interface ExecutionReport {
  order: Order;
  run: Run;
  outcome: Outcome | null;
  result: ExecutionResult;
  receipts: StoredReceipt[];
}

/** Execution, delivery, confirmation, disputes and refunds: everything after payment. */
export function createFulfilment(deps: PurchaseDeps & { db: Database }, purchases: Purchases) {
  const { orders, ledger, clock } = deps;

  /** Pays the provider (minus the fee) if the payment still holds money. */
  async function release(
    tx: Tx,
    order: Order,
    actor: Actor,
    known: Known = {},
  ): Promise<StoredReceipt | null> {
    const payment = known.payment ?? (await orders.findPayment(tx, order.id));
    if (
      !payment ||
      (payment.status !== "held" &&
        payment.status !== "frozen" &&
        payment.status !== "release_pending")
    ) {
      return null;
    }
    // Money in an arbitrated escrow contract moves on chain first; the payment follows it.
    const step = await escrowStep(
      tx,
      deps,
      { order, payment, action: "release", actor },
      known.escrow_tx,
    );
    if (step.kind === "requested") return null;
    const released = await orders.paymentTransition(tx, payment, "release", actor, step.patch);
    const r = await purchases.receipt(
      tx,
      order,
      "settlement",
      { payment_id: released.id, details: { fee_minor: order.fee_minor.toString() } },
      known.chain,
    );
    // The money moves last: the hub's escrow and fee rows stay locked only until commit.
    if (payment.hold_id) await releaseFunds(tx, ledger, order, payment);
    return r;
  }

  /** Returns the buyer's money if the payment still holds it. */
  async function refund(
    tx: Tx,
    order: Order,
    actor: Actor,
    known: Known = {},
  ): Promise<StoredReceipt | null> {
    const payment = known.payment ?? (await orders.findPayment(tx, order.id));
    if (
      !payment ||
      !["intent_created", "held", "frozen", "release_pending"].includes(payment.status)
    )
      return null;
    const step =
      payment.status === "intent_created"
        ? ({ kind: "ledger", patch: {} } as const)
        : await escrowStep(tx, deps, { order, payment, action: "refund", actor }, known.escrow_tx);
    if (step.kind === "requested") return null;
    const refunded = await orders.paymentTransition(tx, payment, "refund", actor, step.patch);
    if (order.pairing_id !== null) await deps.delegation.releaseSpend(tx, order.id, clock.now_ms());
    const r =
      payment.status === "intent_created"
        ? null
        : await purchases.receipt(
            tx,
            order,
            "refund",
            { payment_id: refunded.id, details: { reason: actor.reason } },
            known.chain,
          );
    // The money moves last (see release).
    if (payment.hold_id && payment.status !== "intent_created")
      await refundFunds(tx, ledger, payment);
    return r;
  }

  /** delivered → confirmed, and the provider is paid. `on_delivery`: no auto-confirm was due. */
  async function confirm(
    tx: Tx,
    order: Order,
    actor: Actor,
    known: Known & { on_delivery?: boolean } = {},
  ) {
    const next = await orders.transition(tx, order, "confirm", actor);
    if (!known.on_delivery) await deps.outbox.cancel(tx, `auto_confirm:${order.id}`);
    const r = await release(tx, next, actor, known);
    return { order: next, receipts: r ? [r] : [] };
  }

  /** Records what the adapter reported: delivered (and maybe confirmed) or failed and refunded. */
  async function complete(
    tx: Tx,
    order: Order,
    run: Run,
    result: ExecutionResult,
    auto_confirm: boolean,
    known: Known = {},
  ) {
    const receipts: StoredReceipt[] = [];
    const outcome = await orders.finishRun(
      tx,
      run,
      result.ok
        ? { ok: true, value: result.value, latency_ms: result.latency_ms }
        : { ok: false, error: `${result.kind}: ${result.error}`, latency_ms: result.latency_ms },
    );
    if (!result.ok) {
      const failed = await orders.transition(
        tx,
        order,
        "fail",
        { id: "system", reason: result.kind },
        { error: result.error },
      );
      const r = await refund(
        tx,
        failed,
        { id: "system", reason: `provider failure: ${result.kind}` },
        known,
      );
      if (r) receipts.push(r);
      return { order: failed, outcome, receipts };
    }
    let next = await orders.transition(tx, order, "deliver", SYSTEM_ACTOR);
    receipts.push(
      await purchases.receipt(
        tx,
        next,
        "result",
        {
          response_digest: `sha256:${outcome?.result_sha256}`,
          details: { run_id: run.id, latency_ms: result.latency_ms },
        },
        known.chain,
      ),
    );
    if (auto_confirm) {
      const done = await confirm(
        tx,
        next,
        { id: order.buyer_id, reason: "confirmed on delivery (invoke)" },
        { ...known, on_delivery: true },
      );
      next = done.order;
      receipts.push(...done.receipts);
    } else {
      await deps.outbox.enqueue(tx, {
        topic: TOPIC_AUTO_CONFIRM,
        payload: { order_id: order.id },
        due_at_ms: clock.now_ms() + limits.order_auto_confirm_ms,
        dedupe_key: `auto_confirm:${order.id}`,
      });
    }
    return { order: next, outcome, receipts };
  }

  /**
   * Runs a ready order: ready → executing in one transaction, the adapter outside any
   * transaction (it may take seconds), then delivery or failure and refund in a second one. A
   * crash in between leaves the order `executing`; the recovery sweep fails and refunds it.
   */
  async function execute(
    order_id: string,
    actor: Actor,
    options: { auto_confirm?: boolean; payment_headers?: Record<string, string> } = {},
  ): Promise<ExecutionReport> {
    const begun = await deps.db.transaction(async (tx) => {
      const order = await orders.get(tx, order_id);
      if (order.status !== "ready") {
        throw new Problem(
          orderProblems.ORDER_TRANSITION_FORBIDDEN,
          `order ${order.id} is ${order.status}, not ready`,
          { extensions: { status: order.status } },
        );
      }
      return purchases.beginExecution(tx, order, actor);
    });
    return runStarted(begun, options);
  }

  /**
   * Runs an order its caller has just started (`executing`, with its Run committed): the adapter
   * outside any transaction, then delivery or failure and refund in one transaction.
   */
  async function runStarted(
    begun: { order: Order; run: Run },
    options: { auto_confirm?: boolean; payment_headers?: Record<string, string> } = {},
    known: Known = {},
  ): Promise<ExecutionReport> {
    const result = await runAdapter(begun.order, options.payment_headers);
    const done = await deps.db.transaction((tx) =>
      complete(tx, begun.order, begun.run, result, options.auto_confirm ?? false, known),
    );
    return {
      order: done.order,
      run: begun.run,
      outcome: done.outcome,
      result,
      receipts: done.receipts,
    };
  }

  /**
   * runStarted for an order whose work runs in this process (a built-in skill: no network, no
   * wait, bounded input), in the caller's transaction: the start, the work and its outcome and
   * money commit together or not at all, so a crash leaves nothing to recover, and the call
   * costs one commit instead of two.
   */
  async function runStartedInProcess(
    tx: Tx,
    begun: { order: Order; run: Run },
    options: { auto_confirm?: boolean } = {},
    known: Known = {},
  ): Promise<ExecutionReport> {
    assert(runsInProcess(begun.order), "runStartedInProcess needs an in-process order");
    const result = await runAdapter(begun.order);
    const done = await complete(
      tx,
      begun.order,
      begun.run,
      result,
      options.auto_confirm ?? false,
      known,
    );
    return {
      order: done.order,
      run: begun.run,
      outcome: done.outcome,
      result,
      receipts: done.receipts,
    };
  }

  function runAdapter(order: Order, payment_headers?: Record<string, string>) {
    return deps.executor.run(
      {
        service_id: order.service_id,
        endpoints: endpointsOf(order),
        operation: order.operation,
        input: order.input,
        ...(payment_headers ? { payment_headers } : {}),
      },
      { timeout_ms: deps.execution_timeout_ms, max_bytes: limits.execution_result_bytes_max },
    );
  }

  async function dispute(tx: Tx, order: Order, actor: Actor, evidence: Record<string, unknown>) {
    const next = await orders.transition(tx, order, "dispute", actor);
    await deps.outbox.cancel(tx, `auto_confirm:${order.id}`);
    const payment = await orders.findPayment(tx, order.id);
    if (payment && (payment.status === "held" || payment.status === "release_pending")) {
      await orders.paymentTransition(tx, payment, "freeze", actor, {
        proof: { dispute: evidence },
      });
    }
    return next;
  }

  /** Ends a dispute (operator) or refunds a delivered order (provider): money follows. */
  async function resolve(tx: Tx, order: Order, actor: Actor, outcome: "release" | "refund") {
    const next = await orders.transition(
      tx,
      order,
      outcome === "release" ? "resolve_release" : "resolve_refund",
      actor,
    );
    await deps.outbox.cancel(tx, `auto_confirm:${order.id}`);
    const r =
      outcome === "release" ? await release(tx, next, actor) : await refund(tx, next, actor);
    return { order: next, receipts: r ? [r] : [] };
  }

  async function cancel(tx: Tx, order: Order, actor: Actor) {
    const next = await orders.transition(tx, order, "cancel", actor);
    await deps.outbox.cancel(tx, `expire_ready:${order.id}`);
    const r = await refund(tx, next, actor);
    return { order: next, receipts: r ? [r] : [] };
  }

  /** Orders whose process died mid-execution: fail them and refund, once. */
  async function recoverStuck(before_ms: number): Promise<number> {
    const stuck = await orders.stuckExecuting(deps.db.kysely, before_ms, 50);
    let n = 0;
    for (const order of stuck) {
      await deps.db.transaction(async (tx) => {
        const current = await orders.get(tx, order.id);
        if (current.status !== "executing") return;
        const failed = await orders.transition(
          tx,
          current,
          "fail",
          { id: "system", reason: "recovered after a crash" },
          { error: "the hub stopped while the order was executing" },
        );
        await orders.abandonRuns(tx, order.id);
        await refund(tx, failed, { id: "system", reason: "execution interrupted" });
        n++;
      });
    }
    return n;
  }

  return {
    execute,
    runStarted,
    runStartedInProcess,
    runsInProcess,
    complete,
    confirm,
    dispute,
    resolve,
    cancel,
    release,
    refund,
    recoverStuck,
  };
}

export type Fulfilment = ReturnType<typeof createFulfilment>;
