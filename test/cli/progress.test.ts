import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { type ListeningHub, startListeningHub } from "../sdk/support.ts";
import { agx } from "./harness.ts";

// The bench cases start a TypeScript child process; on a loaded machine that takes seconds.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), "agx-cli-progress-"));
const pipelineFile = join(dir, "pipeline.yaml");
writeFileSync(
  pipelineFile,
  `budget: "0.5"
nodes:
  - id: slug
    product_id: builtin-text-slugify-slugify
    capability_id: slugify@v1
    input: { text: Agents Trade Skills }
  - id: stats
    product_id: builtin-text-stats-analyze
    capability_id: analyze@v1
    input_from: { text: "slug#/slug" }
`,
);

describe("long work: pipelines and benchmarks with progress on stderr", () => {
  let h: ListeningHub;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startListeningHub();
    env = { AGX_URL: h.url, AGX_KEY: (await h.agent("1")).key };
  });
  afterAll(async () => {
    await h.close();
  });

  it("runs a pipeline file, follows the job with a progress bar and prints the result", async () => {
    const r = await agx(["pipeline", pipelineFile], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^job {6}job_\S+ \(succeeded\)\nresult {3}\{/);
    expect(r.out).toContain('"words": 3');
    // Not a terminal: one plain line per change, ending with the finished bar.
    expect(r.err).toMatch(/… pipeline .+pipeline\.yaml: \[#{20}\] 2\/2 succeeded\n$/);
    expect(r.err).not.toContain("\r");
    const tty = await agx(["pipeline", pipelineFile, "--json"], env, { errIsTty: true });
    expect(JSON.parse(tty.out)).toMatchObject({ status: "succeeded" });
    expect(tty.err).toBe("");
  });

  it("draws the progress in place on a terminal", async () => {
    const r = await agx(["pipeline", pipelineFile], env, { errIsTty: true });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("\r\u001b[2K");
    expect(r.err).toMatch(/✓ pipeline .+: \[#{20}\] 2\/2 succeeded\n$/);
  });

  it("refuses a pipeline file without nodes, and a pipeline over its budget", async () => {
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "{}");
    const r = await agx(["pipeline", empty], env);
    expect(r).toMatchObject({ code: clientExitCodes.usage });
    const poor = await agx(["pipeline", pipelineFile, "--budget", "0.000001"], env);
    expect(poor.code).toBe(clientExitCodes.problem);
    expect(poor.err).toMatch(/\[PIPELINE_OVER_BUDGET, HTTP 402\]/);
  });

  it("runs a benchmark section in a child, streaming its table, with progress on stderr", async () => {
    const results = mkdtempSync(join(tmpdir(), "agx-bench-results-"));
    const r = await agx(["bench", "receipts", "--scale", "0.01"], {
      PATH: process.env.PATH ?? "",
      // Not bench/results/: that is the committed report of a full run.
      BENCH_RESULTS_DIR: results,
    });
    expect(existsSync(join(results, "latest.md"))).toBe(true);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^agx bench: receipts; BENCH_SCALE=0\.01\n/);
    expect(r.out).toMatch(/verify\s+\d+\s+\d+\s+\d/);
    expect(r.err).toMatch(/… bench receipts: \[#{20}\] 1\/1 receipts took \d+ s\n/);
  });

  it("exits 4 with the benchmark's own reason when it fails", async () => {
    const r = await agx(["bench", "nosuch"], { PATH: process.env.PATH ?? "" });
    expect(r.code).toBe(clientExitCodes.failed);
    // One line: the message of the error bench/run.ts threw, not its stack trace.
    expect(r.err).toMatch(/^agx: the benchmark failed: .*no section nosuch \(ledger, [^\n]*\n$/);
    expect((await agx(["bench", "Bad;rm"], {})).code).toBe(clientExitCodes.usage);
  });
});
