import { priceOf } from "../catalog/index.ts";
import type { Database } from "../db/db.ts";
import type { AimpCapability } from "../http/routes/aimp/tools.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import {
  type PipelineNode,
  pipelineProblems,
  runDag,
  topologicalOrder,
} from "../pipelines/index.ts";
import type { Fulfilment } from "./fulfil.ts";
import { type InvokePayment, invoke } from "./invoke.ts";
import type { Purchases } from "./purchase.ts";

export interface PipelineDeps {
  db: Database;
  clock: Clock;
  purchases: Purchases;
  fulfilment: Fulfilment;
  resolve: (node: PipelineNode) => Promise<AimpCapability>;
  signer: () => Promise<import("node:crypto").KeyObject>;
  signBom: (payload: Record<string, unknown>) => Promise<string>;
  usdOf: (minor: bigint, asset: string) => number;
}

/** The quoted total before anything runs: exact for literal inputs, the minimum for references. */
async function estimate(deps: PipelineDeps, nodes: PipelineNode[]) {
  let total = 0n;
  const caps = new Map<string, AimpCapability>();
  for (const node of nodes) {
    const cap = await deps.resolve(node);
    caps.set(node.id, cap);
    const p = cap.service.pricing;
    const price = node.input_from
      ? (p.amount_minor ?? p.minimum_minor ?? 0n)
      : (priceOf(p, node.input ?? {})?.amount_minor ?? 0n);
    total += price;
  }
  return { total, caps };
}

/**
 * Runs a pipeline: a checked DAG, the quoted total held against the budget (or channel) before
 * any step starts, each step a paid invoke with its own receipt, and a bill of materials signed
 * by the hub. Steps that never run are never charged, so there is nothing to refund for them.
 */
export async function runPipeline(
  deps: PipelineDeps,
  spec: {
    nodes: PipelineNode[];
    payment: InvokePayment;
    budget_minor: bigint | null;
    on_failure: "stop" | "continue";
  },
) {
  const order = topologicalOrder(spec.nodes);
  const { total, caps } = await estimate(deps, order);
  if (spec.budget_minor !== null && total > spec.budget_minor) {
    throw new Problem(
      pipelineProblems.PIPELINE_OVER_BUDGET,
      `the pipeline is quoted at ${total} minor units, above the budget ${spec.budget_minor}`,
      { extensions: { quoted_minor: total.toString() } },
    );
  }
  const trace_id = newId("tr", deps.clock.now_ms());
  const reports = await runDag(
    order,
    async (node, input) => {
      const cap = caps.get(node.id) as AimpCapability;
      try {
        const out = await invoke(deps, {
          service: cap.service,
          product_id: cap.product_id,
          capability_id: cap.capability_id,
          operation: cap.operation.name,
          input,
          payment: spec.payment,
        });
        return {
          success: out.success,
          output: out.result,
          price_minor: out.success ? out.amount_minor : 0n,
          latency_ms: out.latency_ms,
          receipt_id: out.peac_receipt?.id ?? null,
          order_id: out.order_id,
          error: out.error,
        };
      } catch (error) {
        if (!isProblem(error)) throw error;
        return {
          success: false,
          output: null,
          price_minor: 0n,
          latency_ms: 0,
          receipt_id: null,
          order_id: null,
          error: `${error.code}: ${error.detail}`,
        };
      }
    },
    { on_failure: spec.on_failure },
  );
  const steps = order.map((n) => reports.get(n.id)).filter((s) => s !== undefined);
  const spent = steps.reduce((sum, s) => sum + s.price_minor, 0n);
  const asset = caps.values().next().value?.service.pricing.asset ?? "USDC";
  const bom = {
    trace_id,
    steps: steps.map((s) => ({
      node_id: s.node_id,
      product_id: s.product_id,
      capability_id: s.capability_id,
      status: s.status,
      success: s.success,
      receipt_id: s.receipt_id,
      order_id: s.order_id,
      price_usd: deps.usdOf(s.price_minor, asset),
      price_minor: s.price_minor.toString(),
      input_sha256: s.status === "skipped" ? null : sha256Hex(canonicalJson(s.input ?? null)),
      output_sha256: s.success ? sha256Hex(canonicalJson(s.output ?? null)) : null,
      latency_ms: s.latency_ms,
      error: s.error,
    })),
    total_usd: deps.usdOf(spent, asset),
    total_minor: spent.toString(),
    asset,
    quoted_minor: total.toString(),
    issued_at: new Date(deps.clock.now_ms()).toISOString(),
  };
  const signature = await deps.signBom(bom);
  const sinks = order.filter(
    (n) =>
      !order.some(
        (o) => (o.depends_on ?? []).includes(n.id) || o.input_from?.split("#")[0] === n.id,
      ),
  );
  const last = [...sinks]
    .reverse()
    .map((n) => reports.get(n.id))
    .find((s) => s?.success);
  return {
    trace_id,
    steps,
    bill_of_materials: { ...bom, signature },
    final_result: last?.output ?? null,
    success: steps.every((s) => s.success),
  };
}
