import { describe, expect, inject, it } from "vitest";
import { printScale, runScale } from "../../stress/scale.ts";

/**
 * Two agx processes on one PostgreSQL behind a round-robin client, at CI size: the crash
 * harness and market journeys pass with work on both; webhooks, outbox, the scheduler's market
 * deadlines and the registration limit fire once across the pair; the single-row ceiling is
 * measured (printed).
 */
describe.skipIf(inject("pgUrl") === null)("scale-out on PostgreSQL [postgres]", () => {
  it("behaves as one hub across two processes", async () => {
    const report = await runScale({
      pg_url: inject("pgUrl") ?? "",
      crash: { ops: 200, clients: 6, kills: 2 },
      journeys: 3,
      ceiling_s: 2,
      deadline_orders: 3,
      deadline_ms: 2000,
    });
    printScale(report);
    expect(report.failures).toEqual([]);
    expect(report.journeys.served.every((n) => n > 0)).toBe(true);
    expect(report.deadlines).toMatchObject({ orders: 3, completed: 3, timers: 6 });
  }, 400_000);
});
