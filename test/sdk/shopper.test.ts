import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decimalToMinor, shop } from "../../src/sdk/index.ts";
import { availableMinor, type ListeningHub, startListeningHub } from "./support.ts";

const GOAL = "count the words and sentences of this text";

describe("the reference shopping agent, end to end against a hub on 127.0.0.1", () => {
  let h: ListeningHub;
  beforeAll(async () => {
    h = await startListeningHub();
  });
  afterAll(async () => {
    const v = await h.admin.request<{ failures: unknown[] }>("GET", "/api/v1/admin/ledger/verify");
    expect(v.body.failures).toEqual([]);
    await h.close();
  });

  for (const rail of ["channel", "prepaid"] as const) {
    it(`buys within the budget on the ${rail} rail, and every receipt verifies offline`, async () => {
      const a = await h.agent("1");
      const report = await shop(a.client, { goal: GOAL, budget: "0.5", rail, calls_max: 3 });
      expect(report.purchases.length).toBeGreaterThan(0);
      const spent = decimalToMinor(report.spent, 6) ?? -1n;
      expect(spent).toBeLessThanOrEqual(500_000n);
      expect(1_000_000n - (await availableMinor(a.client))).toBe(spent);
      const charged = report.purchases.reduce(
        (s, p) => s + (decimalToMinor(p.charged, 6) ?? 0n),
        0n,
      );
      expect(charged).toBe(spent);
      expect(report.receipts_invalid).toBe(0);
      for (const p of report.purchases) {
        expect(p.receipts.length).toBeGreaterThanOrEqual(5);
        expect(p.receipts.every((r) => r.valid)).toBe(true);
      }
      expect(report.receipts_verified).toBe(report.purchases.flatMap((p) => p.receipts).length);
      if (rail === "channel") expect(decimalToMinor(report.channel?.used ?? "", 6)).toBe(spent);
    });
  }

  it("stops before a purchase that would exceed what is left of a tight budget", async () => {
    const a = await h.agent("1");
    const probe = await shop(a.client, { goal: GOAL, budget: "0.5", calls_max: 1 });
    const first = decimalToMinor(probe.purchases[0]?.charged ?? "0", 6) ?? 0n;
    const before = await availableMinor(a.client);
    // Room for the cheapest call and a little more, never for all of them.
    const budget = first + first / 2n;
    const report = await shop(a.client, {
      goal: GOAL,
      budget: (Number(budget) / 1e6).toFixed(6),
      calls_max: 10,
    });
    const spent = decimalToMinor(report.spent, 6) ?? -1n;
    expect(spent).toBeLessThanOrEqual(budget);
    expect(before - (await availableMinor(a.client))).toBe(spent);
    expect(report.stopped).toBe("budget");
    expect(report.skipped.some((s) => / left$/.test(s.reason))).toBe(true);
  });

  it("spends nothing and says so when the budget is below every quote", async () => {
    const a = await h.agent("1");
    const report = await shop(a.client, { goal: GOAL, budget: "0.000001" });
    expect(report.stopped).toBe("budget_too_small");
    expect(report.purchases).toEqual([]);
    expect(report.spent).toBe("0");
    expect(report.channel).toBeNull();
    expect(await availableMinor(a.client)).toBe(1_000_000n);
  });

  it("refuses a budget that is not a positive amount before calling the hub", async () => {
    const a = await h.agent("1");
    await expect(shop(a.client, { goal: GOAL, budget: "-1" })).rejects.toThrow(RangeError);
    await expect(shop(a.client, { goal: GOAL, budget: "0.0000001" })).rejects.toThrow(RangeError);
  });
});
