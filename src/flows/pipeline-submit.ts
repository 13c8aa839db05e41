import type { Catalog, Service, SkillOperation } from "../catalog/index.ts";
import { catalogProblems, checkInput, priceOf } from "../catalog/index.ts";
import type { Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import type { Logger } from "../kernel/logger.ts";
import { decimalToMinor } from "../kernel/money.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { ledgerProblems } from "../ledger/index.ts";
import { orderProblems } from "../orders/index.ts";
import type { Outbox } from "../outbox/index.ts";
import {
  type FailurePolicy,
  type FundingSource,
  type PipelineJob,
  type PipelineNode,
  type PipelineStep,
  pipelineLimits,
  pipelineProblems,
  topologicalOrder,
} from "../pipelines/index.ts";
import type { KeySet } from "../receipts/index.ts";
import { TOPIC_CHANNEL_EXPIRE } from "./channels.ts";
import { fundFloat, openFloat, type StepDeps } from "./pipeline-steps.ts";
import type { WebhookFlows } from "./webhooks.ts";

export interface PipelineFlowDeps extends StepDeps {
  clock: Clock;
  logger: Logger;
  catalog: Catalog;
  outbox: Outbox;
  webhooks: Pick<WebhookFlows, "emit">;
  keys: Pick<KeySet, "signCompact">;
  decimalsOf(asset: string): number;
  publicUrl(): string;
  /** The runners' lease (config `pipeline_lease_ms`); renewed every quarter of it. */
  lease_ms?: number;
}

/** A node's (product, capability) as the catalogue resolves it. */
export interface ResolvedCapability {
  service: Service;
  operation: SkillOperation;
}

/** A pipeline as a caller asks for it. */
export interface PipelineRequest {
  owner_id: string;
  nodes: PipelineNode[];
  on_failure: FailurePolicy;
  /** A decimal amount of the pipeline's asset; null: the source's balance is the bound. */
  budget: string | null;
  source: FundingSource;
  /** The request's Idempotency-Key: a retry finds its job instead of paying again. */
  client_key: string | null;
}

const literalOf = (node: PipelineNode) =>
  typeof node.input_from === "string" ? {} : (node.input ?? {});

/** Resolves, prices and checks each node; refuses a mix of assets and unpayable services. */
async function priceNodes(
  tx: Tx,
  deps: PipelineFlowDeps,
  nodes: readonly PipelineNode[],
  resolve: (tx: Tx, node: PipelineNode) => Promise<ResolvedCapability>,
) {
  const priced: { node: PipelineNode; cap: ResolvedCapability; estimate_minor: bigint }[] = [];
  for (const [i, node] of nodes.entries()) {
    const at = `/nodes/${i}`;
    const cap = await resolve(tx, node);
    const asset = priced[0]?.cap.service.pricing.asset ?? cap.service.pricing.asset;
    if (cap.service.pricing.asset !== asset) {
      throw new Problem(
        pipelineProblems.PIPELINE_INVALID,
        `node ${node.id} is priced in another asset`,
        {
          errors: [{ pointer: at, detail: `priced in ${cap.service.pricing.asset}, not ${asset}` }],
        },
      );
    }
    const price = priceOf(cap.service.pricing, literalOf(node));
    if (!price) {
      throw new Problem(
        pipelineProblems.PIPELINE_INVALID,
        `node ${node.id} must be quoted by its provider`,
        {
          errors: [
            { pointer: at, detail: "services without a list price cannot run in a pipeline" },
          ],
        },
      );
    }
    if (price.amount_minor > 0n && !deps.purchases.acceptsRail(cap.service, "channel")) {
      throw new Problem(
        orderProblems.PAYMENT_RAIL_UNSUPPORTED,
        `node ${node.id}: ${cap.service.name} is not paid on agx's ledger`,
      );
    }
    if (node.input_from === undefined) {
      try {
        checkInput(cap.operation.input_schema, node.input ?? {});
      } catch (error) {
        if (!isProblem(error)) throw error;
        throw new Problem(catalogProblems.QUOTE_INPUT_INVALID, `node ${node.id}: ${error.detail}`, {
          errors: (error.errors ?? []).map((e) => ({ ...e, pointer: `${at}${e.pointer}` })),
        });
      }
    }
    priced.push({ node, cap, estimate_minor: price.amount_minor });
  }
  return priced;
}

/** The budget in minor units (null: none), after refusing a quote above it or a wrong channel. */
async function checkFunding(
  tx: Tx,
  deps: PipelineFlowDeps,
  req: PipelineRequest,
  quote: { asset: string; quoted_minor: bigint },
): Promise<bigint | null> {
  const { asset, quoted_minor } = quote;
  const decimals = deps.decimalsOf(asset);
  const budget_minor = req.budget === null ? null : decimalToMinor(req.budget, decimals);
  if (req.budget !== null && budget_minor === null) {
    throw new Problem(ledgerProblems.LEDGER_AMOUNT_INVALID, `${req.budget} is not ${asset}`, {
      errors: [{ pointer: "/budget", detail: `at most ${decimals} decimals` }],
    });
  }
  if (budget_minor !== null && quoted_minor > budget_minor) {
    throw new Problem(
      pipelineProblems.PIPELINE_OVER_BUDGET,
      `the pipeline is quoted at ${quoted_minor} minor units of ${asset}, ` +
        `above the budget of ${budget_minor}`,
      { extensions: { quoted_minor: `${quoted_minor}`, budget_minor: `${budget_minor}`, asset } },
    );
  }
  if (req.source.kind === "channel") {
    const channel = await deps.channels.usable(tx, req.source.channel_id, req.owner_id);
    if (channel.asset !== asset) {
      throw new Problem(
        pipelineProblems.PIPELINE_INVALID,
        `channel ${channel.id} holds ${channel.asset}, the pipeline costs ${asset}`,
        { errors: [{ pointer: "/channel_id", detail: `a channel of ${asset} is needed` }] },
      );
    }
  }
  return budget_minor;
}

function newSteps(job_id: string, priced: Awaited<ReturnType<typeof priceNodes>>): PipelineStep[] {
  return priced.map((p, position) => ({
    job_id,
    node_id: p.node.id,
    position,
    product_id: p.node.product_id,
    capability_id: p.node.capability_id,
    service_id: p.cap.service.id,
    operation: p.cap.operation.name,
    status: "pending",
    estimate_minor: p.estimate_minor,
    price_minor: 0n,
    order_id: null,
    input: null,
    output: null,
    latency_ms: null,
    receipt_id: null,
    error: null,
    started_at_ms: null,
    finished_at_ms: null,
  }));
}

/**
 * The pipeline's quote without moving anything: the DAG checked and every node priced (as
 * submit prices it). An x402 payer is asked for exactly this amount.
 */
export async function quotePipeline(
  deps: PipelineFlowDeps,
  tx: Tx,
  nodes: readonly PipelineNode[],
  resolve: (tx: Tx, node: PipelineNode) => Promise<ResolvedCapability>,
): Promise<{ asset: string; quoted_minor: bigint }> {
  topologicalOrder(nodes);
  const priced = await priceNodes(tx, deps, nodes, resolve);
  return {
    asset: priced[0]?.cap.service.pricing.asset ?? "USDC",
    quoted_minor: priced.reduce((sum, p) => sum + p.estimate_minor, 0n),
  };
}

/**
 * Accepts a pipeline: finds the job this Idempotency-Key already made, or checks the DAG, prices
 * every node (exactly for literal inputs, the service's floor for referenced ones), refuses what
 * does not fit the budget or the funds, and moves the quote from the source into a new float
 * (a channel of the job's own), all in `tx`. Nothing runs yet; the job is unclaimed.
 */
export async function submitPipeline(
  deps: PipelineFlowDeps,
  tx: Tx,
  req: PipelineRequest,
  resolve: (tx: Tx, node: PipelineNode) => Promise<ResolvedCapability>,
): Promise<{ job: PipelineJob; created: boolean }> {
  const { nodes, on_failure, budget, source } = req;
  const request_sha256 = sha256Hex(canonicalJson({ nodes, on_failure, budget, source }));
  if (req.client_key) {
    const found = await deps.pipelines.byClientKey(tx, req.owner_id, req.client_key);
    if (found && found.request_sha256 !== request_sha256) {
      throw new Problem(
        kernelProblems.IDEMPOTENCY_KEY_REUSED,
        "this Idempotency-Key started a different pipeline",
      );
    }
    if (found) return { job: found, created: false };
  }
  topologicalOrder(nodes);
  const priced = await priceNodes(tx, deps, nodes, resolve);
  const asset = priced[0]?.cap.service.pricing.asset ?? "USDC";
  const quoted_minor = priced.reduce((sum, p) => sum + p.estimate_minor, 0n);
  const budget_minor = await checkFunding(tx, deps, req, { asset, quoted_minor });
  const now_ms = deps.clock.now_ms();
  const owner_id = req.owner_id;
  const float = await openFloat(tx, deps, { owner_id, asset, deposit_minor: quoted_minor });
  const job: PipelineJob = {
    id: newId("job", now_ms),
    owner_id,
    trace_id: newId("tr", now_ms),
    status: "running",
    on_failure,
    asset,
    source,
    float_channel_id: float.id,
    budget_minor,
    quoted_minor,
    reserved_minor: quoted_minor,
    spent_minor: null,
    refunded_minor: null,
    nodes,
    request_sha256,
    client_key: req.client_key,
    version: 0,
    runner: null,
    lease_until_ms: 0,
    deadline_at_ms: now_ms + pipelineLimits.deadline_ms,
    result: null,
    created_at_ms: now_ms,
    updated_at_ms: now_ms,
    completed_at_ms: null,
  };
  await fundFloat(tx, deps, job, { transfer_id: `${job.id}.reserve`, amount_minor: quoted_minor });
  // The float's expiry is the safety net should the job never end (its rest goes to the owner).
  await deps.outbox.enqueue(tx, {
    topic: TOPIC_CHANNEL_EXPIRE,
    payload: { channel_id: float.id },
    due_at_ms: float.expires_at_ms,
    dedupe_key: `channel_expire:${float.id}`,
  });
  await deps.pipelines.create(tx, job, newSteps(job.id, priced));
  return { job, created: true };
}
