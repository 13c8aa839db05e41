import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Figure, reportMarkdown, reportSvg, score, writeReport } from "../../bench/report.ts";

const throughput: Figure = {
  section: "webhooks",
  name: "deliveries (sqlite)",
  unit: "/s",
  agx: 1500,
  baseline: 2000,
  baseline_label: "raw POST loop",
  targets: [
    { on: "value", op: ">=", n: 2000 },
    { on: "ratio", op: ">=", n: 0.5 },
  ],
};
const latency: Figure = {
  section: "search",
  name: "p50 (sqlite)",
  unit: "ms",
  agx: 4,
  baseline: 2,
  baseline_label: "raw query",
  targets: [{ on: "value", op: "<=", n: 5 }],
};
const untargeted: Figure = { ...latency, name: "publish", targets: [] };

describe("the benchmark report", () => {
  it("scores a figure by its worst target: 1500/s against ≥ 2000/s is 0.75 even at 0.75× ≥ 0.5×", () => {
    expect(score(throughput)).toBeCloseTo(0.75);
  });

  it("scores an upper bound the other way round: 4 ms against ≤ 5 ms is 1.25, met", () => {
    expect(score(latency)).toBeCloseTo(1.25);
  });

  it("gives no score where there is no target or nothing was measured", () => {
    expect(score(untargeted)).toBeNull();
    expect(score({ ...throughput, baseline: null })).toBeNull();
  });

  it("writes one Markdown row per figure with its ratio and whether it met its target", () => {
    const md = reportMarkdown([throughput, latency, untargeted], new Date(0), 12);
    expect(md).toContain(
      "| webhooks | deliveries (sqlite) | 1,500 /s | 2,000 /s (raw POST loop) | 0.75× | ≥ 2000 /s, ≥ 0.5× | **no** |",
    );
    expect(md).toContain(
      "| search | p50 (sqlite) | 4.00 ms | 2.00 ms (raw query) | 2.00× | ≤ 5 ms | yes |",
    );
    expect(md).toContain("1 of 2 figures with a target meet it.");
  });

  it("draws a bar only for figures with a target, red when missed and green when met", () => {
    const svg = reportSvg([throughput, latency, untargeted]);
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg).toContain('fill="#c62828"');
    expect(svg).toContain('fill="#2e7d32"');
    expect(svg).not.toContain("search: publish");
  });

  it("writes latest.md and latest.svg into the results directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agx-report-"));
    const line = await writeReport([throughput], new Date(0), 1, dir);
    expect(line).toContain(join(dir, "latest.md"));
    expect(readFileSync(join(dir, "latest.md"), "utf8")).toContain("deliveries (sqlite)");
    expect(readFileSync(join(dir, "latest.svg"), "utf8")).toMatch(/^<svg /);
  });
});
