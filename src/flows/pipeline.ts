import type { Executor, Tx } from "../db/db.ts";
import type { AppContext } from "../http/context.ts";
import { isoOf } from "../kernel/clock.ts";
import { randomToken } from "../kernel/ids.ts";
import {
  BOM_TYP,
  bomClaims,
  createPipelines,
  isFinished,
  jobEvents,
  moneyOf,
  type PipelineJob,
  type PipelineNode,
  type PipelineStep,
  pipelineLimits,
  type RunnerRef,
  runDag,
  type Settled,
  sinksOf,
  stepWire,
  topologicalOrder,
} from "../pipelines/index.ts";
import { LeaseLost, refundFloat, runStep, settleRunning } from "./pipeline-steps.ts";
import {
  type PipelineFlowDeps,
  type PipelineRequest,
  quotePipeline,
  type ResolvedCapability,
  submitPipeline,
} from "./pipeline-submit.ts";

export type { PipelineFlowDeps, PipelineRequest, ResolvedCapability };

/** The pipeline's answer once its job ended: the caller's single view of it. */
function finalResultOf(job: PipelineJob, steps: readonly PipelineStep[]): unknown {
  const sinks = sinksOf(job.nodes).map((n) => steps.find((s) => s.node_id === n.id));
  if (sinks.length === 1) return sinks[0]?.status === "succeeded" ? sinks[0].output : null;
  const out: Record<string, unknown> = {};
  for (const s of sinks) if (s?.status === "succeeded") out[s.node_id] = s.output;
  return out;
}

/**
 * Pipelines as jobs: submit (checked DAG, priced, the quote moved into a float in the job's own
 * transaction), run (a leased runner schedules the DAG, each step a paid call from the float),
 * finish (skips recorded, the float's rest refunded, the bill of materials signed, the webhook
 * recorded, all in one transaction), and resume (a job whose runner died is taken over).
 */
export function createPipelineFlows(deps: PipelineFlowDeps) {
  const { db, clock, pipelines } = deps;
  const renew_ms = Math.min(
    pipelineLimits.lease_renew_interval_ms,
    Math.floor((deps.lease_ms ?? pipelineLimits.lease_ms) / 4),
  );
  const active = new Map<string, Promise<void>>();
  let stopping = false;

  /** Creates the job and its float, or finds the job this Idempotency-Key already made. */
  const submit = (
    tx: Tx,
    req: PipelineRequest,
    resolve: (tx: Tx, node: PipelineNode) => Promise<ResolvedCapability>,
  ) => submitPipeline(deps, tx, req, resolve);

  /** Checks and prices a pipeline without moving money (what an x402 payer is asked for). */
  const quote = (
    tx: Tx,
    nodes: readonly PipelineNode[],
    resolve: (tx: Tx, node: PipelineNode) => Promise<ResolvedCapability>,
  ) => quotePipeline(deps, tx, nodes, resolve);

  /** Records what the scheduler decided without running (skips, refused inputs). */
  async function recordDecisions(tx: Tx, ref: RunnerRef, settled: ReadonlyMap<string, Settled>) {
    const steps = await pipelines.steps(tx, ref.job_id);
    for (const step of steps) {
      const s = settled.get(step.node_id);
      if (!s?.decided_here || step.status !== "pending") continue;
      const moved = await pipelines.moveStep(
        tx,
        ref,
        step,
        s.status === "skipped" ? "skip" : "refuse",
        { error: s.error, finished_at_ms: clock.now_ms() },
        {
          type: "step.finished",
          data: { node_id: step.node_id, status: s.status, error: s.error },
        },
      );
      if (!moved) throw new LeaseLost(ref.job_id);
    }
  }

  /**
   * Ends a job in one transaction: decisions recorded, the float's rest refunded (exactly the
   * reservation minus what succeeded), the bill of materials signed, the job finished and the
   * `pipeline.completed` webhook recorded. A runner that lost its lease changes nothing.
   */
  async function finish(tx: Tx, ref: RunnerRef, settled: ReadonlyMap<string, Settled>) {
    await recordDecisions(tx, ref, settled);
    const job = await pipelines.find(tx, ref.job_id);
    if (job?.status !== "running") throw new LeaseLost(ref.job_id);
    const steps = await pipelines.steps(tx, job.id);
    const spent_minor = steps.reduce((sum, s) => sum + s.price_minor, 0n);
    const refund = await refundFloat(tx, deps, job);
    if (refund.closed_here && refund.rest_minor !== job.reserved_minor - spent_minor) {
      throw new Error(
        `float of ${job.id} holds ${refund.rest_minor}, expected ${job.reserved_minor - spent_minor}`,
      );
    }
    await deps.outbox.cancel(tx, `channel_expire:${job.float_channel_id}`);
    const decimals = deps.decimalsOf(job.asset);
    const refunded_minor = refund.rest_minor;
    const claims = bomClaims(
      job,
      steps,
      { spent_minor, refunded_minor, decimals },
      { issuer: deps.publicUrl(), now_ms: clock.now_ms() },
    );
    const signature = await deps.keys.signCompact(tx, BOM_TYP, claims);
    const success = steps.every((s) => s.status === "succeeded");
    const status = success ? ("succeeded" as const) : ("failed" as const);
    const summary = {
      job_id: job.id,
      trace_id: job.trace_id,
      status,
      success,
      total: moneyOf(spent_minor, job.asset, decimals),
      refunded: moneyOf(refunded_minor, job.asset, decimals),
      steps: steps.map((s) => ({ node_id: s.node_id, status: s.status })),
    };
    const result = {
      ...summary,
      steps: steps.map((s) => stepWire(s, decimals)),
      final_result: finalResultOf(job, steps),
      quoted: moneyOf(job.quoted_minor, job.asset, decimals),
      total_usd: claims.total_usd,
      bill_of_materials: { ...claims, signature },
    };
    const done = await pipelines.finish(
      tx,
      ref,
      { status, spent_minor, refunded_minor, result },
      summary,
    );
    if (!done) throw new LeaseLost(job.id);
    await deps.webhooks.emit(tx, { to: [job.owner_id], type: "pipeline.completed", data: summary });
  }

  /** Runs a claimed job from where it stands; leaves it pending for later when the hub stops. */
  async function drive(ref: RunnerRef) {
    const job = await pipelines.find(db.kysely, ref.job_id);
    if (job?.status !== "running") return;
    const heartbeat = setInterval(() => {
      pipelines.renew(db.kysely, ref).catch(() => {});
    }, renew_ms);
    heartbeat.unref();
    try {
      for (const step of await pipelines.steps(db.kysely, job.id)) {
        if (step.status === "running") await settleRunning(deps, ref, job, step);
      }
      const steps = await pipelines.steps(db.kysely, job.id);
      const byNode = new Map(steps.map((s) => [s.node_id, s]));
      const initial = new Map<string, Settled>();
      for (const s of steps) {
        if (s.status !== "pending" && s.status !== "running" && isFinished(s.status)) {
          initial.set(s.node_id, {
            status: s.status,
            output: s.output,
            error: s.error,
            decided_here: false,
          });
        }
      }
      const order = topologicalOrder(job.nodes);
      const settled = await runDag(
        order,
        initial,
        {
          run: (node, input) => runStep(deps, ref, job, byNode.get(node.id) as PipelineStep, input),
          gate: () => {
            if (stopping) return { action: "leave" };
            if (clock.now_ms() > job.deadline_at_ms) {
              return { action: "skip", reason: "the pipeline passed its deadline" };
            }
            return { action: "run" };
          },
        },
        { on_failure: job.on_failure },
      );
      if (settled.size < order.length) {
        await pipelines.release(db.kysely, ref);
        return;
      }
      await db.transaction((tx) => finish(tx, ref, settled));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Claims and runs a job in this process (once; a second call joins the first). */
  function run(job_id: string): Promise<void> {
    const running = active.get(job_id);
    if (running) return running;
    if (stopping) return Promise.resolve();
    const ref: RunnerRef = { job_id, runner: randomToken(12) };
    const work = (async () => {
      if (await pipelines.claim(db.kysely, ref)) await drive(ref);
    })()
      .catch((error: unknown) => {
        if (error instanceof LeaseLost) deps.logger.info({ job_id }, error.message);
        else deps.logger.error({ err: error, job_id }, "pipeline job stopped; it resumes later");
      })
      .finally(() => active.delete(job_id));
    active.set(job_id, work);
    return work;
  }

  /** Waits up to `ms` for a job this process runs; returns at once for others. */
  async function wait(job_id: string, ms: number): Promise<void> {
    const running = active.get(job_id);
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** Takes over running jobs nobody holds (their process died or stopped): the resume sweep. */
  async function resumeStale(): Promise<number> {
    if (stopping) return 0;
    const ids = await pipelines.unclaimed(db.kysely, pipelineLimits.resume_batch_max);
    const fresh = ids.filter((id) => !active.has(id));
    for (const id of fresh) void run(id);
    return fresh.length;
  }

  /** Graceful stop: no new steps; steps in flight finish; unfinished jobs are given back. */
  async function stop(): Promise<void> {
    stopping = true;
    await Promise.all(active.values());
  }

  /** The job page: status, progress, each step so far, and the result once it ended. */
  async function view(ex: Executor, job_id: string, owner_id: string) {
    const job = await pipelines.get(ex, job_id, owner_id);
    const steps = await pipelines.steps(ex, job.id);
    const decimals = deps.decimalsOf(job.asset);
    const count = (status: PipelineStep["status"]) =>
      steps.filter((s) => s.status === status).length;
    return {
      job,
      page: {
        job_id: job.id,
        trace_id: job.trace_id,
        status: job.status,
        on_failure: job.on_failure,
        progress: {
          nodes: steps.length,
          finished: steps.filter((s) => isFinished(s.status)).length,
          running: count("running"),
          succeeded: count("succeeded"),
          failed: count("failed"),
          skipped: count("skipped"),
        },
        quoted: moneyOf(job.quoted_minor, job.asset, decimals),
        steps: steps.map((s) => stepWire(s, decimals)),
        result: job.result,
        created_at: isoOf(job.created_at_ms),
        updated_at: isoOf(job.updated_at_ms),
        completed_at: job.completed_at_ms === null ? null : isoOf(job.completed_at_ms),
        links: { self: `/ai-market/jobs/${job.id}`, events: `/ai-market/jobs/${job.id}/events` },
      },
    };
  }

  /** The job's progress as Server-Sent Event frames (see jobEvents). */
  async function events(ex: Executor, job_id: string, owner_id: string, after_seq: number) {
    await pipelines.get(ex, job_id, owner_id);
    return jobEvents(ex, pipelines, job_id, after_seq, () => clock.now_ms());
  }

  return { submit, quote, run, wait, resumeStale, stop, view, events };
}

export type PipelineFlows = ReturnType<typeof createPipelineFlows>;

/** The pipeline flows on the hub's modules: the one place that wires them. */
export function composePipelineFlows(
  ctx: Pick<
    AppContext,
    | "config"
    | "clock"
    | "db"
    | "logger"
    | "ledger"
    | "channels"
    | "orders"
    | "receipts"
    | "purchases"
    | "fulfilment"
    | "catalog"
    | "outbox"
    | "webhookFlows"
    | "keys"
    | "publicUrl"
  >,
): PipelineFlows {
  const { config, clock } = ctx;
  return createPipelineFlows({
    db: ctx.db,
    clock,
    logger: ctx.logger,
    ledger: ctx.ledger,
    channels: ctx.channels,
    orders: ctx.orders,
    receipts: ctx.receipts,
    purchases: ctx.purchases,
    fulfilment: ctx.fulfilment,
    catalog: ctx.catalog,
    outbox: ctx.outbox,
    webhooks: ctx.webhookFlows,
    keys: ctx.keys,
    pipelines: createPipelines({ clock, lease_ms: config.pipeline_lease_ms }),
    lease_ms: config.pipeline_lease_ms,
    decimalsOf: (asset) => config.assets.find((a) => a.code === asset)?.decimals ?? 6,
    publicUrl: ctx.publicUrl,
    now_ms: () => clock.now_ms(),
  });
}
