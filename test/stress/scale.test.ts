import { describe, expect, inject, it } from "vitest";
import { printScale, runScale } from "../../stress/scale.ts";

/**
 * Two agx processes on one PostgreSQL behind a round-robin client, at CI size: the crash
 * harness and market journeys pass with work on both; webhooks, outbox and the registration
 * limit fire once across the pair; the single-row ceiling is measured (printed).
 */
describe.skipIf(inject("pgUrl") === null)("scale-out on PostgreSQL [postgres]", () => {
  it("behaves as one hub across two processes", async () => {
    const report = await runScale({
      pg_url: inject("pgUrl") ?? "",
      crash: { ops: 200, clients: 6, kills: 2 },
      journeys: 3,
      ceiling_s: 2,
    });
    printScale(report);
    expect(report.failures).toEqual([]);
    expect(report.journeys.served.every((n) => n > 0)).toBe(true);
  }, 400_000);
});
