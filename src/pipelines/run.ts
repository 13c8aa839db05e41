import { Problem } from "../kernel/problem.ts";
import {
  type PipelineNode,
  pipelineLimits,
  pipelineProblems,
  prerequisites,
  readPointer,
} from "./dag.ts";

/** What running one node reports (the flow pays, executes and receipts it). */
export interface NodeOutcome {
  success: boolean;
  output: unknown;
  price_minor: bigint;
  latency_ms: number;
  receipt_id: string | null;
  order_id: string | null;
  error: string | null;
}

export interface StepReport extends NodeOutcome {
  node_id: string;
  product_id: string;
  capability_id: string;
  status: "succeeded" | "failed" | "skipped";
  input: unknown;
}

/**
 * Runs a checked DAG: independent branches in parallel (bounded), each node once its
 * prerequisites succeeded, outputs passed by reference (input_from with a JSON pointer). On a
 * failure, `stop` skips everything not yet started; `continue` skips only what depends on it.
 */
export async function runDag(
  order: PipelineNode[],
  runNode: (node: PipelineNode, input: unknown) => Promise<NodeOutcome>,
  options: { on_failure: "stop" | "continue"; concurrency?: number },
): Promise<Map<string, StepReport>> {
  const reports = new Map<string, StepReport>();
  const concurrency = Math.min(
    options.concurrency ?? pipelineLimits.concurrency_max,
    pipelineLimits.concurrency_max,
  );
  let stopped = false;
  const running = new Map<string, Promise<void>>();
  const pending = [...order];
  const skip = (node: PipelineNode, why: string) =>
    reports.set(node.id, {
      node_id: node.id,
      product_id: node.product_id,
      capability_id: node.capability_id,
      status: "skipped",
      input: null,
      success: false,
      output: null,
      price_minor: 0n,
      latency_ms: 0,
      receipt_id: null,
      order_id: null,
      error: why,
    });
  while (pending.length > 0 || running.size > 0) {
    for (const node of [...pending]) {
      const deps = prerequisites(node);
      const failedDep = deps.find((d) => reports.get(d) && reports.get(d)?.status !== "succeeded");
      if (stopped || failedDep) {
        skip(
          node,
          stopped
            ? "pipeline stopped after a failure"
            : `prerequisite ${failedDep} did not succeed`,
        );
        pending.splice(pending.indexOf(node), 1);
        continue;
      }
      if (running.size >= concurrency || !deps.every((d) => reports.get(d)?.status === "succeeded"))
        continue;
      pending.splice(pending.indexOf(node), 1);
      let input: unknown;
      try {
        input = inputOf(node, reports);
      } catch (error) {
        skip(node, error instanceof Error ? error.message : "input does not resolve");
        (reports.get(node.id) as StepReport).status = "failed";
        if (options.on_failure === "stop") stopped = true;
        continue;
      }
      running.set(
        node.id,
        (async () => {
          const out = await runNode(node, input);
          reports.set(node.id, {
            ...out,
            node_id: node.id,
            product_id: node.product_id,
            capability_id: node.capability_id,
            status: out.success ? "succeeded" : "failed",
            input,
          });
          if (!out.success && options.on_failure === "stop") stopped = true;
          running.delete(node.id);
        })(),
      );
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  return reports;
}

function inputOf(node: PipelineNode, reports: Map<string, StepReport>): unknown {
  if (!node.input_from) return node.input ?? {};
  const [from = "", pointer = ""] = node.input_from.split("#");
  const value = readPointer(reports.get(from)?.output, pointer);
  if (value === undefined) {
    throw new Problem(
      pipelineProblems.PIPELINE_INPUT_UNRESOLVED,
      `${node.input_from} does not resolve`,
    );
  }
  return value;
}
