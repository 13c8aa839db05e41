import { describe, expect, inject, it } from "vitest";
import { printChaos, runWebhookChaos } from "../../stress/webhook-chaos.ts";

/**
 * Webhook chaos at CI size: a receiver failing half its calls (500, timeout, reset, slow body)
 * and one that always fails; every delivery ends succeeded or dead after six attempts, accepted
 * again only after an unanswered attempt, and every signature verifies (standardwebhooks).
 */
const stores = [
  { kind: "sqlite" as const, available: true },
  { kind: "postgres" as const, available: inject("pgUrl") !== null },
];

for (const { kind, available } of stores) {
  describe.skipIf(!available)(`webhook chaos [${kind}]`, () => {
    it("delivers or dead-letters every event, signed, at least once and no more", async () => {
      const report = await runWebhookChaos({
        store: kind,
        journeys: 3,
        ...(kind === "postgres" ? { pg_url: inject("pgUrl") ?? "" } : {}),
      });
      printChaos(report);
      expect(report.failures).toEqual([]);
      expect(report.deliveries["dead-endpoint dead"]).toBe(report.events);
      expect(report.signatures_verified).toBe(report.requests_received);
    }, 300_000);
  });
}
