import { describe, expect, inject, it } from "vitest";
import { printReport, runCrash } from "../../stress/crash.ts";

/**
 * The crash harness at CI size: real agx processes SIGKILLed twice under eight concurrent
 * clients; every acknowledged write is in the rows exactly once and nothing is half-applied.
 * `npm run stress:crash` runs the full size (100k writes, 64 clients, 10 kills).
 */
const stores = [
  { kind: "sqlite" as const, available: true },
  { kind: "postgres" as const, available: inject("pgUrl") !== null },
];

for (const { kind, available } of stores) {
  describe.skipIf(!available)(`crash harness [${kind}]`, () => {
    it("keeps every acknowledged write exactly once through two SIGKILLs", async () => {
      const report = await runCrash({
        store: kind,
        ops: Number(process.env.STRESS_CI_OPS ?? 300),
        clients: 8,
        kills: 2,
        ...(kind === "postgres" ? { pg_url: inject("pgUrl") ?? "" } : {}),
      });
      printReport(report);
      expect(report.kills).toBe(2);
      expect(report.failures).toEqual([]);
      expect(report.counts["steps acked"]).toBeGreaterThan(0);
    }, 300_000);
  });
}
