import { isProblem } from "../kernel/problem.ts";
import { prerequisites, resolveInput } from "./dag.ts";
import { pipelineLimits } from "./limits.ts";
import type { FailurePolicy, PipelineNode, StepStatus } from "./model.ts";

/** Where a node ended up. */
export interface Settled {
  status: Exclude<StepStatus, "pending" | "running">;
  output: unknown;
  error: string | null;
  /** True when the scheduler decided it without running the node (skipped, or input refused). */
  decided_here: boolean;
}

/** Whether a node that could start now may: run it, skip it (terminal), or leave it pending. */
export type Gate = { action: "run" } | { action: "skip"; reason: string } | { action: "leave" };

export interface DagHooks {
  /** Runs one node (pays, executes, records it); a failed call resolves with succeeded: false. */
  run(node: PipelineNode, input: unknown): Promise<{ succeeded: boolean; output: unknown }>;
  gate(): Gate;
}

const skipped = (error: string): Settled => ({
  status: "skipped",
  output: null,
  error,
  decided_here: true,
});

/** Why a pending node cannot run any more, if it cannot. */
function blocker(
  node: PipelineNode,
  settled: ReadonlyMap<string, Settled>,
  on_failure: FailurePolicy,
): string | null {
  if (on_failure === "stop" && [...settled.values()].some((s) => s.status === "failed")) {
    return "the pipeline stopped after a failure";
  }
  const broken = prerequisites(node).find(
    (d) => settled.has(d) && settled.get(d)?.status !== "succeeded",
  );
  return broken ? `prerequisite ${broken} did not succeed` : null;
}

/**
 * Runs a checked DAG from where a job stands (`initial`): independent branches in parallel,
 * bounded by `concurrency_max`; each node once all its prerequisites succeeded, its input
 * resolved from their outputs. On a failure `stop` skips everything not yet started, `continue`
 * skips only what depends on it; nodes in flight always finish. Nodes the gate leaves (and what
 * waits for them) get no entry: they stay pending for a later pass. A hook that throws stops
 * new starts; the error is rethrown once the nodes in flight have finished.
 */
export async function runDag(
  order: readonly PipelineNode[],
  initial: ReadonlyMap<string, Settled>,
  hooks: DagHooks,
  options: { on_failure: FailurePolicy; concurrency?: number },
): Promise<Map<string, Settled>> {
  const settled = new Map(initial);
  const concurrency = Math.min(
    options.concurrency ?? pipelineLimits.concurrency_max,
    pipelineLimits.concurrency_max,
  );
  const running = new Map<string, Promise<void>>();
  let pending = order.filter((n) => !settled.has(n.id));
  let fatal: { error: unknown } | null = null;
  const start = (node: PipelineNode, input: unknown) => {
    const done = (r: { succeeded: boolean; output: unknown }) => {
      const status = r.succeeded ? "succeeded" : "failed";
      settled.set(node.id, { status, output: r.output, error: null, decided_here: false });
    };
    running.set(
      node.id,
      hooks
        .run(node, input)
        .then(done, (error: unknown) => {
          fatal ??= { error };
        })
        .finally(() => running.delete(node.id)),
    );
  };
  while (!fatal) {
    let changed = false;
    for (const node of [...pending]) {
      const why = blocker(node, settled, options.on_failure);
      const ready = prerequisites(node).every((d) => settled.get(d)?.status === "succeeded");
      if (!why && (!ready || running.size >= concurrency)) continue;
      const gate: Gate = why ? { action: "skip", reason: why } : hooks.gate();
      pending = pending.filter((n) => n !== node);
      changed = true;
      if (gate.action === "leave") continue;
      if (gate.action === "skip") {
        settled.set(node.id, skipped(gate.reason));
        continue;
      }
      try {
        start(node, resolveInput(node, outputsOf(settled)));
      } catch (error) {
        if (!isProblem(error)) throw error;
        const message = `${error.code}: ${error.detail}`;
        settled.set(node.id, {
          status: "failed",
          output: null,
          error: message,
          decided_here: true,
        });
      }
    }
    if (running.size > 0) await Promise.race(running.values());
    else if (!changed) break;
  }
  await Promise.all(running.values());
  if (fatal) throw (fatal as { error: unknown }).error;
  return settled;
}

function outputsOf(settled: ReadonlyMap<string, Settled>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [id, s] of settled) if (s.status === "succeeded") out.set(id, s.output);
  return out;
}
