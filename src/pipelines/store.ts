import { sql } from "kysely";
import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type {
  FailurePolicy,
  JobStatus,
  PipelineEvent,
  PipelineJob,
  PipelineNode,
  PipelineStep,
  StepStatus,
} from "./model.ts";

type Int = number | bigint;

interface JobRow {
  id: string;
  owner_id: string;
  trace_id: string;
  status: string;
  on_failure: string;
  asset: string;
  source_channel_id: string | null;
  float_channel_id: string;
  budget_minor: Int | null;
  quoted_minor: Int;
  reserved_minor: Int;
  spent_minor: Int | null;
  refunded_minor: Int | null;
  nodes_json: string;
  request_sha256: string;
  client_key: string | null;
  version: Int;
  runner: string | null;
  lease_until_ms: Int;
  deadline_at_ms: Int;
  result_json: string | null;
  created_at_ms: Int;
  updated_at_ms: Int;
  completed_at_ms: Int | null;
}

interface StepRow {
  job_id: string;
  node_id: string;
  position: Int;
  product_id: string;
  capability_id: string;
  service_id: string;
  operation: string;
  status: string;
  estimate_minor: Int;
  price_minor: Int;
  order_id: string | null;
  input_json: string | null;
  output_json: string | null;
  latency_ms: Int | null;
  receipt_id: string | null;
  error: string | null;
  started_at_ms: Int | null;
  finished_at_ms: Int | null;
}

interface EventRow {
  job_id: string;
  seq: Int;
  type: string;
  data_json: string;
  at_ms: Int;
}

interface Tables {
  pipeline_jobs: JobRow;
  pipeline_steps: StepRow;
  pipeline_events: EventRow;
  pipeline_job_tokens: {
    job_id: string;
    token_sha256: string;
    expires_at_ms: Int;
    created_at_ms: Int;
  };
}

const q = (ex: Executor) => tablesOf<Tables>(ex);
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const parsed = (text: string | null) => (text === null ? null : JSON.parse(text));
const bigOrNull = (v: Int | null) => (v === null ? null : big(v));

function toJob(r: JobRow): PipelineJob {
  return {
    id: r.id,
    owner_id: r.owner_id,
    trace_id: r.trace_id,
    status: r.status as JobStatus,
    on_failure: r.on_failure as FailurePolicy,
    asset: r.asset,
    source: r.source_channel_id
      ? { kind: "channel", channel_id: r.source_channel_id }
      : { kind: "balance" },
    float_channel_id: r.float_channel_id,
    budget_minor: bigOrNull(r.budget_minor),
    quoted_minor: big(r.quoted_minor),
    reserved_minor: big(r.reserved_minor),
    spent_minor: bigOrNull(r.spent_minor),
    refunded_minor: bigOrNull(r.refunded_minor),
    nodes: JSON.parse(r.nodes_json) as PipelineNode[],
    request_sha256: r.request_sha256,
    client_key: r.client_key,
    version: num(r.version),
    runner: r.runner,
    lease_until_ms: num(r.lease_until_ms),
    deadline_at_ms: num(r.deadline_at_ms),
    result: parsed(r.result_json),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
    completed_at_ms: numOrNull(r.completed_at_ms),
  };
}

function toStep(r: StepRow): PipelineStep {
  return {
    job_id: r.job_id,
    node_id: r.node_id,
    position: num(r.position),
    product_id: r.product_id,
    capability_id: r.capability_id,
    service_id: r.service_id,
    operation: r.operation,
    status: r.status as StepStatus,
    estimate_minor: big(r.estimate_minor),
    price_minor: big(r.price_minor),
    order_id: r.order_id,
    input: parsed(r.input_json),
    output: parsed(r.output_json),
    latency_ms: numOrNull(r.latency_ms),
    receipt_id: r.receipt_id,
    error: r.error,
    started_at_ms: numOrNull(r.started_at_ms),
    finished_at_ms: numOrNull(r.finished_at_ms),
  };
}

export async function insertJob(ex: Executor, job: PipelineJob, steps: PipelineStep[]) {
  await q(ex)
    .insertInto("pipeline_jobs")
    .values({
      id: job.id,
      owner_id: job.owner_id,
      trace_id: job.trace_id,
      status: job.status,
      on_failure: job.on_failure,
      asset: job.asset,
      source_channel_id: job.source.kind === "channel" ? job.source.channel_id : null,
      float_channel_id: job.float_channel_id,
      budget_minor: job.budget_minor,
      quoted_minor: job.quoted_minor,
      reserved_minor: job.reserved_minor,
      spent_minor: null,
      refunded_minor: null,
      nodes_json: JSON.stringify(job.nodes),
      request_sha256: job.request_sha256,
      client_key: job.client_key,
      version: job.version,
      runner: job.runner,
      lease_until_ms: job.lease_until_ms,
      deadline_at_ms: job.deadline_at_ms,
      result_json: null,
      created_at_ms: job.created_at_ms,
      updated_at_ms: job.updated_at_ms,
      completed_at_ms: null,
    })
    .execute();
  await q(ex)
    .insertInto("pipeline_steps")
    .values(
      steps.map(({ input, output, ...s }) => ({
        ...s,
        input_json: json(input),
        output_json: json(output),
      })),
    )
    .execute();
}

export async function getJob(ex: Executor, id: string): Promise<PipelineJob | null> {
  const r = await q(ex)
    .selectFrom("pipeline_jobs")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return r ? toJob(r) : null;
}

export async function jobByClientKey(ex: Executor, owner_id: string, client_key: string) {
  const r = await q(ex)
    .selectFrom("pipeline_jobs")
    .selectAll()
    .where("owner_id", "=", owner_id)
    .where("client_key", "=", client_key)
    .executeTakeFirst();
  return r ? toJob(r) : null;
}

export async function stepsOf(ex: Executor, job_id: string): Promise<PipelineStep[]> {
  const rows = await q(ex)
    .selectFrom("pipeline_steps")
    .selectAll()
    .where("job_id", "=", job_id)
    .orderBy("position")
    .execute();
  return rows.map(toStep);
}

/**
 * Bumps a running job's version and renews its lease, guarded by the runner that owns it;
 * returns the new version, or null when the job ended or another runner owns it now.
 */
export async function touch(
  ex: Executor,
  spec: { id: string; runner: string; now_ms: number; lease_until_ms: number },
): Promise<number | null> {
  const r = await q(ex)
    .updateTable("pipeline_jobs")
    .set({
      version: sql`version + 1`,
      updated_at_ms: spec.now_ms,
      lease_until_ms: spec.lease_until_ms,
    })
    .where("id", "=", spec.id)
    .where("status", "=", "running")
    .where("runner", "=", spec.runner)
    .returning("version")
    .executeTakeFirst();
  return r ? num(r.version) : null;
}

/** Renews a lease without a change (heartbeat); false when the runner lost the job. */
export async function renew(
  ex: Executor,
  spec: { id: string; runner: string; lease_until_ms: number },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("pipeline_jobs")
    .set({ lease_until_ms: spec.lease_until_ms })
    .where("id", "=", spec.id)
    .where("status", "=", "running")
    .where("runner", "=", spec.runner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Takes a running job whose lease ran out (or was never taken); false when someone else did. */
export async function claim(
  ex: Executor,
  spec: { id: string; runner: string; now_ms: number; lease_until_ms: number },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("pipeline_jobs")
    .set({ runner: spec.runner, lease_until_ms: spec.lease_until_ms })
    .where("id", "=", spec.id)
    .where("status", "=", "running")
    .where("lease_until_ms", "<=", spec.now_ms)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives a job back (a stopping process) so the next sweep may resume it at once. */
export async function release(ex: Executor, id: string, runner: string): Promise<void> {
  await q(ex)
    .updateTable("pipeline_jobs")
    .set({ lease_until_ms: 0 })
    .where("id", "=", id)
    .where("runner", "=", runner)
    .where("status", "=", "running")
    .execute();
}

/** Running jobs nobody holds a lease on. */
export async function unclaimed(ex: Executor, now_ms: number, limit: number): Promise<string[]> {
  const rows = await q(ex)
    .selectFrom("pipeline_jobs")
    .select("id")
    .where("status", "=", "running")
    .where("lease_until_ms", "<=", now_ms)
    .orderBy("lease_until_ms")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Adds a top-up to what the float holds, never past the budget (guarded). */
export async function addReserved(
  ex: Executor,
  spec: { id: string; runner: string; extra_minor: bigint },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("pipeline_jobs")
    .set({ reserved_minor: sql`reserved_minor + ${spec.extra_minor}` })
    .where("id", "=", spec.id)
    .where("status", "=", "running")
    .where("runner", "=", spec.runner)
    .where((eb) =>
      eb.or([
        eb("budget_minor", "is", null),
        eb(sql`reserved_minor + ${spec.extra_minor}`, "<=", eb.ref("budget_minor")),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Moves a step between statuses (guarded by its current one); false when it had moved on. */
export async function moveStep(
  ex: Executor,
  spec: { job_id: string; node_id: string; from: StepStatus; to: StepStatus },
  patch: Partial<Omit<PipelineStep, "job_id" | "node_id" | "status">>,
): Promise<boolean> {
  const { input, output, ...plain } = patch;
  const r = await q(ex)
    .updateTable("pipeline_steps")
    .set({
      ...plain,
      status: spec.to,
      ...("input" in patch ? { input_json: json(input) } : {}),
      ...("output" in patch ? { output_json: json(output) } : {}),
    })
    .where("job_id", "=", spec.job_id)
    .where("node_id", "=", spec.node_id)
    .where("status", "=", spec.from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Ends a job (guarded: still running, this runner's). */
export async function finishJob(
  ex: Executor,
  spec: { id: string; runner: string; now_ms: number },
  patch: {
    status: Exclude<JobStatus, "running">;
    spent_minor: bigint;
    refunded_minor: bigint;
    result: Record<string, unknown>;
  },
): Promise<number | null> {
  const r = await q(ex)
    .updateTable("pipeline_jobs")
    .set({
      status: patch.status,
      spent_minor: patch.spent_minor,
      refunded_minor: patch.refunded_minor,
      result_json: JSON.stringify(patch.result),
      version: sql`version + 1`,
      updated_at_ms: spec.now_ms,
      completed_at_ms: spec.now_ms,
      lease_until_ms: 0,
    })
    .where("id", "=", spec.id)
    .where("status", "=", "running")
    .where("runner", "=", spec.runner)
    .returning("version")
    .executeTakeFirst();
  return r ? num(r.version) : null;
}

export async function insertEvent(ex: Executor, e: PipelineEvent): Promise<void> {
  await q(ex)
    .insertInto("pipeline_events")
    .values({
      job_id: e.job_id,
      seq: e.seq,
      type: e.type,
      data_json: JSON.stringify(e.data),
      at_ms: e.at_ms,
    })
    .execute();
}

export async function eventsAfter(
  ex: Executor,
  job_id: string,
  after_seq: number,
  limit: number,
): Promise<PipelineEvent[]> {
  const rows = await q(ex)
    .selectFrom("pipeline_events")
    .selectAll()
    .where("job_id", "=", job_id)
    .where("seq", ">", after_seq)
    .orderBy("seq")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    job_id: r.job_id,
    seq: num(r.seq),
    type: r.type as PipelineEvent["type"],
    data: JSON.parse(r.data_json) as Record<string, unknown>,
    at_ms: num(r.at_ms),
  }));
}

/** Keeps the hash of a job's access token (one per job; a second is ignored). */
export async function insertJobToken(
  ex: Executor,
  t: { job_id: string; token_sha256: string; expires_at_ms: number; created_at_ms: number },
): Promise<void> {
  await q(ex)
    .insertInto("pipeline_job_tokens")
    .values(t)
    .onConflict((oc) => oc.column("job_id").doNothing())
    .execute();
}

/** The hash of a job's access token and when it expires, or null. */
export async function jobTokenOf(
  ex: Executor,
  job_id: string,
): Promise<{ token_sha256: string; expires_at_ms: number } | null> {
  const r = await q(ex)
    .selectFrom("pipeline_job_tokens")
    .select(["token_sha256", "expires_at_ms"])
    .where("job_id", "=", job_id)
    .executeTakeFirst();
  return r ? { token_sha256: r.token_sha256, expires_at_ms: num(r.expires_at_ms) } : null;
}
