import type { Channels } from "../channels/index.ts";
import type { Database, Tx } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { type Account, type Ledger, transferProblem } from "../ledger/index.ts";
import type { Actor, Order, Orders } from "../orders/index.ts";
import {
  type PipelineJob,
  type PipelineStep,
  type Pipelines,
  pipelineLimits,
  pipelineProblems,
  type RunnerRef,
} from "../pipelines/index.ts";
import type { Receipts } from "../receipts/index.ts";
import type { Fulfilment } from "./fulfil.ts";
import type { Purchases } from "./purchase.ts";

/** What the step runner needs. */
export interface StepDeps {
  db: Database;
  ledger: Ledger;
  channels: Channels;
  orders: Orders;
  receipts: Receipts;
  purchases: Purchases;
  fulfilment: Fulfilment;
  pipelines: Pipelines;
  now_ms(): number;
}

/** The job changed hands (its lease ran out and another runner took it) or ended meanwhile. */
export class LeaseLost extends Error {
  constructor(job_id: string) {
    super(`pipeline job ${job_id} is no longer this runner's`);
  }
}

const clip = (text: string) => text.slice(0, pipelineLimits.error_chars_max);
const actorOf = (job: PipelineJob): Actor => ({ id: job.owner_id, reason: `pipeline ${job.id}` });

/** The account a job's money came from, or null when a source channel can no longer be used. */
async function sourceAccount(tx: Tx, deps: StepDeps, job: PipelineJob): Promise<Account | null> {
  if (job.source.kind === "channel") {
    const channel = await deps.channels.get(tx, job.source.channel_id);
    if (channel?.status !== "open" || channel.expires_at_ms <= deps.now_ms()) {
      return null;
    }
    return deps.ledger.openAccount(tx, { owner_id: channel.id, asset: job.asset, kind: "escrow" });
  }
  return deps.ledger.openAccount(tx, {
    owner_id: job.owner_id,
    asset: job.asset,
    kind: "available",
  });
}

/** The float every step pays from: the job's own channel account. */
export function floatAccount(tx: Tx, deps: StepDeps, job: PipelineJob): Promise<Account> {
  return deps.ledger.openAccount(tx, {
    owner_id: job.float_channel_id,
    asset: job.asset,
    kind: "escrow",
  });
}

/**
 * Moves `amount_minor` from the job's source into its float (the reservation, or a top-up).
 * A source that cannot cover it is PIPELINE_OVER_BUDGET: the caller's transaction rolls back.
 */
export async function fundFloat(
  tx: Tx,
  deps: StepDeps,
  job: PipelineJob,
  spec: { transfer_id: string; amount_minor: bigint },
): Promise<void> {
  if (spec.amount_minor === 0n) return;
  const from = await sourceAccount(tx, deps, job);
  const short = (detail: string) =>
    new Problem(pipelineProblems.PIPELINE_OVER_BUDGET, detail, {
      extensions: { needed_minor: `${spec.amount_minor}`, asset: job.asset },
    });
  if (!from)
    throw short(
      `channel ${job.source.kind === "channel" ? job.source.channel_id : ""} is not open`,
    );
  const into = await floatAccount(tx, deps, job);
  const r = await deps.ledger.transfer(tx, {
    op: "transfer",
    id: spec.transfer_id,
    debit_account_id: from.id,
    credit_account_id: into.id,
    amount_minor: spec.amount_minor,
    asset: job.asset,
    code: "pipeline_reserve",
    metadata: { job_id: job.id },
  });
  if (r.result === "exceeds_balance") {
    throw short(
      `${job.source.kind === "channel" ? "the channel" : "your balance"} does not cover ` +
        `${spec.amount_minor} minor units of ${job.asset}`,
    );
  }
  if (r.result !== "created") throw transferProblem(r);
}

/**
 * Returns what the float still holds to where it came from (the source channel while it is
 * open, else the owner's balance) and closes the float, in the caller's transaction. A float
 * its owner already closed returned its money then: nothing is left to refund.
 */
export async function refundFloat(
  tx: Tx,
  deps: StepDeps,
  job: PipelineJob,
): Promise<{ closed_here: boolean; rest_minor: bigint }> {
  if (!(await deps.channels.end(tx, job.float_channel_id, "closed"))) {
    return { closed_here: false, rest_minor: 0n };
  }
  const float = await floatAccount(tx, deps, job);
  if (float.pending_debits_minor !== 0n) {
    throw new Error(`float of ${job.id} still holds ${float.pending_debits_minor} in flight`);
  }
  const rest = float.available_minor;
  if (rest > 0n) {
    const into =
      (await sourceAccount(tx, deps, job)) ??
      (await deps.ledger.openAccount(tx, {
        owner_id: job.owner_id,
        asset: job.asset,
        kind: "available",
      }));
    const r = await deps.ledger.transfer(tx, {
      op: "transfer",
      id: `${job.id}.refund`,
      debit_account_id: float.id,
      credit_account_id: into.id,
      amount_minor: rest,
      asset: job.asset,
      code: "pipeline_refund",
      metadata: { job_id: job.id },
    });
    if (r.result !== "created") throw transferProblem(r);
  }
  return { closed_here: true, rest_minor: rest };
}

/** Opens the float's channel row (its expiry is the safety net if the job is never ended). */
export async function openFloat(
  tx: Tx,
  deps: StepDeps,
  spec: { owner_id: string; asset: string; deposit_minor: bigint },
) {
  return deps.channels.open(tx, { ...spec, ttl_ms: limits.channel_ttl_ms });
}

/** Creates, funds (a top-up when it costs more than reserved) and pays a step's order. */
async function payStep(
  tx: Tx,
  deps: StepDeps,
  ref: RunnerRef,
  job: PipelineJob,
  step: PipelineStep,
  input: unknown,
): Promise<Order> {
  const actor = actorOf(job);
  const made = await deps.purchases.createOrder(tx, {
    buyer_id: job.owner_id,
    rail: "channel",
    service_id: step.service_id,
    operation: step.operation,
    input,
    client_ref: `${job.id}.${step.position}`,
  });
  const extra = made.order.amount_minor - step.estimate_minor;
  if (extra > 0n) {
    if (!(await deps.pipelines.addReserved(tx, ref, extra))) {
      throw new Problem(
        pipelineProblems.PIPELINE_OVER_BUDGET,
        `step ${step.node_id} costs ${extra} minor units more than quoted; the budget is spent`,
      );
    }
    await fundFloat(tx, deps, job, {
      transfer_id: `${job.id}.topup.${step.position}`,
      amount_minor: extra,
    });
  }
  const { order } = await deps.purchases.paymentIntent(tx, made.order, actor);
  if (order.status === "ready") return order;
  return (await deps.purchases.pay(tx, order, actor, { channel_id: job.float_channel_id })).order;
}

/** What running one step came to. */
export interface StepResult {
  succeeded: boolean;
  output: unknown;
}

async function refuse(
  deps: StepDeps,
  ref: RunnerRef,
  step: PipelineStep,
  input: unknown,
  error: string,
): Promise<StepResult> {
  const moved = await deps.db.transaction((tx) =>
    deps.pipelines.moveStep(
      tx,
      ref,
      step,
      "refuse",
      { input, error: clip(error), finished_at_ms: deps.now_ms() },
      {
        type: "step.finished",
        data: { node_id: step.node_id, status: "failed", error: clip(error) },
      },
    ),
  );
  if (!moved) throw new LeaseLost(ref.job_id);
  return { succeeded: false, output: null };
}

/**
 * Runs one step: order, top-up and payment from the float plus the step's `running` mark in
 * one transaction; the call (fulfilment.execute, which settles or refunds it); then the outcome
 * in a third. A step refused before payment (input not accepted, budget spent) costs nothing.
 */
export async function runStep(
  deps: StepDeps,
  ref: RunnerRef,
  job: PipelineJob,
  step: PipelineStep,
  input: unknown,
): Promise<StepResult> {
  let order: Order;
  try {
    order = await deps.db.transaction(async (tx) => {
      const paid = await payStep(tx, deps, ref, job, step, input);
      const started = await deps.pipelines.moveStep(
        tx,
        ref,
        step,
        "start",
        { order_id: paid.id, input, started_at_ms: deps.now_ms() },
        { type: "step.started", data: { node_id: step.node_id, order_id: paid.id } },
      );
      if (!started) throw new LeaseLost(ref.job_id);
      return paid;
    });
  } catch (error) {
    if (!isProblem(error)) throw error;
    return refuse(deps, ref, step, input, `${error.code}: ${error.detail}`);
  }
  const running: PipelineStep = { ...step, status: "running", order_id: order.id, input };
  try {
    await deps.fulfilment.execute(order.id, actorOf(job), { auto_confirm: true });
  } catch (error) {
    if (error instanceof LeaseLost) throw error;
    // The order is where the failure left it; settling reads it and refunds what is unfinished.
  }
  return settleRunning(deps, ref, job, running);
}

/**
 * Brings a step's order to an end: confirms a delivered one (pays the provider); fails and
 * refunds one still `ready` or `executing` (its runner died, or the call blew up). Returns the
 * order and, when it was cut short, why.
 */
async function closeUnfinished(tx: Tx, deps: StepDeps, job: PipelineJob, order_id: string) {
  const order = await deps.orders.get(tx, order_id);
  const system: Actor = { id: "system", reason: `pipeline ${job.id} interrupted` };
  if (order.status === "delivered") {
    return { order: (await deps.fulfilment.confirm(tx, order, actorOf(job))).order, error: null };
  }
  if (order.status === "ready") {
    const cancelled = (await deps.fulfilment.cancel(tx, order, system)).order;
    return { order: cancelled, error: "interrupted before the call started; refunded" };
  }
  if (order.status === "executing") {
    const failed = await deps.orders.transition(tx, order, "fail", system, {
      error: "the hub stopped while the call was running",
    });
    await deps.orders.abandonRuns(tx, order.id);
    await deps.fulfilment.refund(tx, failed, system);
    return { order: failed, error: "interrupted while the call was running; refunded" };
  }
  return { order, error: null };
}

/**
 * Records the outcome of a step marked `running` from its order: delivered → succeeded with
 * the stored result; failed or cancelled → failed (the order refunded itself); still `ready`
 * or `executing` (the runner died or the call blew up) → failed and refunded now. Used after
 * every call and when a job resumes after a restart.
 */
export async function settleRunning(
  deps: StepDeps,
  ref: RunnerRef,
  job: PipelineJob,
  step: PipelineStep,
): Promise<StepResult> {
  const order_id = step.order_id;
  if (!order_id) throw new Error(`running step ${step.node_id} of ${job.id} has no order`);
  const result = await deps.db.transaction(async (tx) => {
    const { order, error: interrupted } = await closeUnfinished(tx, deps, job, order_id);
    let error = interrupted;
    const succeeded = order.status === "confirmed";
    const outcome = succeeded ? await deps.orders.outcomeOf(tx, order.id) : null;
    const [run] = await deps.orders.runs(tx, { order_id: order.id }, 1);
    const chain = await deps.receipts.chainOf(tx, order.id);
    const receipt = succeeded
      ? chain.find((r) => r.kind === "result")
      : chain.find((r) => r.kind === "refund");
    error ??= succeeded ? null : (run?.error ?? `the order ended ${order.status}`);
    const moved = await deps.pipelines.moveStep(
      tx,
      ref,
      step,
      succeeded ? "succeed" : "fail",
      {
        output: outcome?.result ?? null,
        price_minor: succeeded ? order.amount_minor : 0n,
        latency_ms: run?.latency_ms ?? null,
        receipt_id: receipt?.id ?? null,
        error: error === null ? null : clip(error),
        finished_at_ms: deps.now_ms(),
      },
      {
        type: "step.finished",
        data: {
          node_id: step.node_id,
          status: succeeded ? "succeeded" : "failed",
          order_id: order.id,
          price_minor: `${succeeded ? order.amount_minor : 0n}`,
          error,
        },
      },
    );
    if (!moved) throw new LeaseLost(ref.job_id);
    return { succeeded, output: outcome?.result ?? null };
  });
  return result;
}
