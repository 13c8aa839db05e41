import { describe, expect, inject, it } from "vitest";
import { printRetries, runRetries } from "../../stress/retries.ts";

/**
 * Every state-changing operation of the OpenAPI document, its answer dropped and retried three
 * times with the same Idempotency-Key, has exactly the rows of one call. A new route without a
 * driver (or a written reason) fails this test.
 */
const stores = [
  { kind: "sqlite" as const, available: true },
  { kind: "postgres" as const, available: inject("pgUrl") !== null },
];

for (const { kind, available } of stores) {
  describe.skipIf(!available)(`retries harness [${kind}]`, () => {
    it("gives each dropped-and-retried write exactly one effect", async () => {
      const report = await runRetries({
        store: kind,
        ...(kind === "postgres" ? { pg_url: inject("pgUrl") ?? "" } : {}),
      });
      printRetries(report);
      expect(report.failures).toEqual([]);
      expect(report.rows.length).toBeGreaterThanOrEqual(45);
    }, 300_000);
  });
}
