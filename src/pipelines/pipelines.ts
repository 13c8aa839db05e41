import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import { pipelineLimits } from "./limits.ts";
import { nextStepStatus, type StepEvent } from "./machine.ts";
import type { JobStatus, PipelineEvent, PipelineJob, PipelineStep } from "./model.ts";
import { pipelineProblems } from "./problems.ts";
import * as store from "./store.ts";

/** Who is changing a job: the runner holding its lease. */
export interface RunnerRef {
  job_id: string;
  runner: string;
}

/** What a step change records besides the new status. */
export type StepPatch = Partial<Omit<PipelineStep, "job_id" | "node_id" | "status">>;

/** Jobs, steps and their progress log. Every change is guarded by the runner's lease. */
export function createPipelines(deps: { clock: Clock; lease_ms?: number }) {
  const { clock } = deps;
  const lease_ms = deps.lease_ms ?? pipelineLimits.lease_ms;
  const leaseEnd = () => clock.now_ms() + lease_ms;

  /** A job of `owner_id`, or PIPELINE_JOB_NOT_FOUND (also for someone else's). */
  async function get(ex: Executor, id: string, owner_id: string): Promise<PipelineJob> {
    const job = await store.getJob(ex, id);
    if (!job || job.owner_id !== owner_id) {
      throw new Problem(pipelineProblems.PIPELINE_JOB_NOT_FOUND, `no pipeline job ${id} of yours`);
    }
    return job;
  }

  async function record(
    ex: Executor,
    job_id: string,
    seq: number,
    type: PipelineEvent["type"],
    data: Record<string, unknown>,
  ) {
    await store.insertEvent(ex, { job_id, seq, type, data, at_ms: clock.now_ms() });
  }

  /**
   * Moves a step by `event` (the machine decides the target), renews the lease and logs the
   * change as event `type`. False when the runner lost the job or the step had moved on.
   */
  async function moveStep(
    tx: Executor,
    ref: RunnerRef,
    step: Pick<PipelineStep, "node_id" | "status">,
    event: StepEvent,
    patch: StepPatch,
    log: { type: PipelineEvent["type"]; data: Record<string, unknown> },
  ): Promise<boolean> {
    const to = nextStepStatus(step.status, event);
    if (!to) return false;
    const seq = await store.touch(tx, {
      id: ref.job_id,
      runner: ref.runner,
      now_ms: clock.now_ms(),
      lease_until_ms: leaseEnd(),
    });
    if (seq === null) return false;
    const moved = await store.moveStep(
      tx,
      { job_id: ref.job_id, node_id: step.node_id, from: step.status, to },
      patch,
    );
    if (!moved) return false;
    await record(tx, ref.job_id, seq, log.type, log.data);
    return true;
  }

  /** Ends a job and logs `pipeline.completed`; false when the runner lost it. */
  async function finish(
    tx: Executor,
    ref: RunnerRef,
    patch: {
      status: Exclude<JobStatus, "running">;
      spent_minor: bigint;
      refunded_minor: bigint;
      result: Record<string, unknown>;
    },
    data: Record<string, unknown>,
  ): Promise<boolean> {
    const seq = await store.finishJob(
      tx,
      { id: ref.job_id, runner: ref.runner, now_ms: clock.now_ms() },
      patch,
    );
    if (seq === null) return false;
    await record(tx, ref.job_id, seq, "pipeline.completed", data);
    return true;
  }

  return {
    get,
    find: store.getJob,
    byClientKey: store.jobByClientKey,
    create: store.insertJob,
    steps: store.stepsOf,
    moveStep,
    finish,
    events: store.eventsAfter,
    unclaimed: (ex: Executor, limit: number) => store.unclaimed(ex, clock.now_ms(), limit),
    claim: (ex: Executor, ref: RunnerRef) =>
      store.claim(ex, {
        id: ref.job_id,
        runner: ref.runner,
        now_ms: clock.now_ms(),
        lease_until_ms: leaseEnd(),
      }),
    renew: (ex: Executor, ref: RunnerRef) =>
      store.renew(ex, { id: ref.job_id, runner: ref.runner, lease_until_ms: leaseEnd() }),
    release: (ex: Executor, ref: RunnerRef) => store.release(ex, ref.job_id, ref.runner),
    addReserved: (ex: Executor, ref: RunnerRef, extra_minor: bigint) =>
      store.addReserved(ex, { id: ref.job_id, runner: ref.runner, extra_minor }),
  };
}

export type Pipelines = ReturnType<typeof createPipelines>;
