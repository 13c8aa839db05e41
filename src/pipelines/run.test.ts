import { describe, expect, it } from "vitest";
import { pipelineLimits } from "./limits.ts";
import type { PipelineNode } from "./model.ts";
import { type Gate, runDag, type Settled } from "./run.ts";

const node = (id: string, extra: Partial<PipelineNode> = {}): PipelineNode => ({
  id,
  product_id: "p",
  capability_id: "c@v1",
  ...extra,
});
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A runner whose calls finish in the order `release` names, recording what ran at once. */
function harness(fail: string[] = []) {
  let inFlight = 0;
  const log: string[] = [];
  const stats = { peak: 0, log };
  const run = async (n: PipelineNode, input: unknown) => {
    inFlight++;
    stats.peak = Math.max(stats.peak, inFlight);
    log.push(`start ${n.id}`);
    await tick();
    inFlight--;
    log.push(`end ${n.id}`);
    return { succeeded: !fail.includes(n.id), output: { from: n.id, input } };
  };
  return { stats, run, gate: (): Gate => ({ action: "run" }) };
}

const statusOf = (settled: Map<string, Settled>) =>
  Object.fromEntries([...settled].map(([id, s]) => [id, s.status]));

describe("the DAG scheduler", () => {
  it("runs independent nodes together, never more than concurrency_max at once", async () => {
    const h = harness();
    const nodes = Array.from({ length: 10 }, (_, i) => node(`n${i}`));
    const settled = await runDag(nodes, new Map(), h, { on_failure: "stop" });
    expect(Object.values(statusOf(settled))).toEqual(Array(10).fill("succeeded"));
    expect(h.stats.peak).toBe(pipelineLimits.concurrency_max);
  });

  it("passes an upstream output by pointer into a downstream input", async () => {
    const h = harness();
    const settled = await runDag(
      [node("a", { input: { text: "hi" } }), node("b", { input_from: { text: "a#/input/text" } })],
      new Map(),
      h,
      { on_failure: "stop" },
    );
    expect(settled.get("b")?.output).toEqual({ from: "b", input: { text: "hi" } });
  });

  it("on stop skips what had not started; on continue only what depends on the failure", async () => {
    const nodes = [
      node("bad"),
      node("ok"),
      node("after_ok", { depends_on: ["ok"] }),
      node("after_bad", { depends_on: ["bad"] }),
    ];
    const stop = await runDag(nodes, new Map(), harness(["bad"]), {
      on_failure: "stop",
      concurrency: 1,
    });
    expect(statusOf(stop)).toEqual({
      bad: "failed",
      ok: "skipped",
      after_ok: "skipped",
      after_bad: "skipped",
    });
    const go = await runDag(nodes, new Map(), harness(["bad"]), {
      on_failure: "continue",
      concurrency: 1,
    });
    expect(statusOf(go)).toEqual({
      bad: "failed",
      ok: "succeeded",
      after_ok: "succeeded",
      after_bad: "skipped",
    });
  });

  it("resumes from settled nodes and leaves what the gate holds back without a report", async () => {
    const h = harness();
    const initial = new Map<string, Settled>([
      ["a", { status: "succeeded", output: { v: 1 }, error: null, decided_here: false }],
    ]);
    const nodes = [
      node("a"),
      node("b", { input_from: { v: "a#/v" } }),
      node("c", { depends_on: ["b"] }),
    ];
    const held = await runDag(
      nodes,
      initial,
      { ...h, gate: () => ({ action: "leave" }) },
      {
        on_failure: "stop",
      },
    );
    expect([...held.keys()]).toEqual(["a"]);
    expect(h.stats.log).toEqual([]);
    const done = await runDag(nodes, initial, h, { on_failure: "stop" });
    expect(statusOf(done)).toEqual({ a: "succeeded", b: "succeeded", c: "succeeded" });
    expect(h.stats.log).toEqual(["start b", "end b", "start c", "end c"]);
  });

  it("rethrows a runner's error only after the calls in flight have finished", async () => {
    const h = harness();
    const run = async (n: PipelineNode, input: unknown) => {
      if (n.id === "boom") throw new Error("lost the lease");
      return h.run(n, input);
    };
    await expect(
      runDag(
        [node("boom"), node("slow")],
        new Map(),
        { run, gate: h.gate },
        { on_failure: "stop" },
      ),
    ).rejects.toThrow("lost the lease");
    expect(h.stats.log).toEqual(["start slow", "end slow"]);
  });
});
