/**
 * Pipelines: a DAG of paid capability calls run as one job with a signed bill of materials.
 *
 * Money: the quoted total is moved into a float (a payment channel owned by the buyer, funded
 * from the balance or from the buyer's channel) in the transaction that creates the job; every
 * step pays from the float; the transaction that ends the job returns what was not spent.
 * Replays: a job carries the caller's Idempotency-Key, so a retried request finds its job instead
 * of paying twice; a step's order has the client ref `<job>.<position>`.
 * Concurrency: one runner owns a job through a lease; every change of a step is a guarded update
 * that also checks the lease, so a runner that lost its job can change nothing.
 */

/** One node of the request. */
export interface PipelineNode {
  id: string;
  product_id: string;
  capability_id: string;
  /** The literal input (with the object form of input_from: the base the references fill). */
  input?: unknown;
  /** `<node>` or `<node>#/json/pointer` (the whole input), or `{field: reference}`. */
  input_from?: string | Record<string, string>;
  depends_on?: string[];
}

/** What to do with the rest when a step fails. */
export type FailurePolicy = "stop" | "continue";

export type StepStatus = "pending" | "running" | "succeeded" | "failed" | "skipped";
export type JobStatus = "running" | "succeeded" | "failed";

/** Where the float came from, and where its rest returns. */
export type FundingSource = { kind: "balance" } | { kind: "channel"; channel_id: string };

export interface PipelineJob {
  id: string;
  owner_id: string;
  trace_id: string;
  status: JobStatus;
  on_failure: FailurePolicy;
  asset: string;
  source: FundingSource;
  /** The channel the steps pay from. */
  float_channel_id: string;
  budget_minor: bigint | null;
  quoted_minor: bigint;
  /** Moved into the float so far (the quote plus top-ups of steps that cost more). */
  reserved_minor: bigint;
  spent_minor: bigint | null;
  refunded_minor: bigint | null;
  nodes: PipelineNode[];
  /** sha256 of the canonical request, to tell a retry from a different request. */
  request_sha256: string;
  client_key: string | null;
  /** Bumped by every change; the id of the change's event. */
  version: number;
  runner: string | null;
  lease_until_ms: number;
  deadline_at_ms: number;
  /** The finished answer (steps, final result, signed bill of materials). */
  result: Record<string, unknown> | null;
  created_at_ms: number;
  updated_at_ms: number;
  completed_at_ms: number | null;
}

export interface PipelineStep {
  job_id: string;
  node_id: string;
  position: number;
  product_id: string;
  capability_id: string;
  service_id: string;
  operation: string;
  status: StepStatus;
  /** The price reserved for it before the job started. */
  estimate_minor: bigint;
  /** What it cost: the order's price when it succeeded, else zero. */
  price_minor: bigint;
  order_id: string | null;
  input: unknown;
  output: unknown;
  latency_ms: number | null;
  receipt_id: string | null;
  error: string | null;
  started_at_ms: number | null;
  finished_at_ms: number | null;
}

/** One line of a job's progress log, served as a Server-Sent Event. */
export interface PipelineEvent {
  job_id: string;
  seq: number;
  type: "step.started" | "step.finished" | "pipeline.completed";
  data: Record<string, unknown>;
  at_ms: number;
}
