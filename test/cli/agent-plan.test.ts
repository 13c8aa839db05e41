import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { type PlanReport, runPlan, verifyBillOfMaterials } from "../../src/sdk/index.ts";
import { availableMinor, type ListeningHub, startListeningHub } from "../sdk/support.ts";
import { agx } from "./harness.ts";

vi.setConfig({ testTimeout: 120_000 });

const GOAL = "count the words of 'agents trade skills' then compute a sha256 hash digest";

/**
 * `agx agent "<goal>" --budget`: the reference agent asks the hub for a plan, runs it as one
 * pipeline within the budget, checks the signed bill of materials and every receipt offline,
 * and closes its channel with the refund — against the demo catalogue every hub seeds.
 */
describe("the planning agent against a hub's demo catalogue", () => {
  let h: ListeningHub;
  beforeAll(async () => {
    h = await startListeningHub();
  });
  afterAll(async () => {
    const v = await h.admin.request<{ failures: unknown[] }>("GET", "/api/v1/admin/ledger/verify");
    expect(v.body.failures).toEqual([]);
    await h.close();
  });

  it("plans, runs the plan as a pipeline paid from a channel, verifies everything and shows the refund", async () => {
    const a = await h.agent("2");
    const r = await agx(["agent", GOAL, "--budget", "1.00", "--json"], {
      AGX_URL: h.url,
      AGX_KEY: a.key,
    });
    expect(r.code, r.err + r.out).toBe(clientExitCodes.ok);
    const report = JSON.parse(r.out) as PlanReport;
    expect(report.plan.map((p) => p.product_id)).toEqual([
      "builtin-text-stats-analyze",
      "builtin-hash-digest-digest",
    ]);
    expect(report.stopped).toBe("done");
    expect(report.steps.every((s) => s.status === "succeeded")).toBe(true);
    expect(report.bill_of_materials).toMatchObject({ valid: true, steps: 2 });
    expect(report.receipts_invalid).toBe(0);
    expect(report.receipts_verified).toBeGreaterThan(0);
    // The channel took the budget and gave back all it did not spend.
    expect(report.channel?.used).toBe(report.spent);
    expect(Number(report.channel?.refund)).toBeCloseTo(1 - Number(report.spent), 6);
    expect(Number(report.spent)).toBeGreaterThan(0);
    const spentMinor = BigInt(Math.round(Number(report.spent) * 1e6));
    expect(await availableMinor(a.client)).toBe(2_000_000n - spentMinor);
  });

  it("prints the plan, the steps, the bill of materials and the refund for people", async () => {
    const a = await h.agent("1");
    const r = await agx(["agent", "plan", GOAL, "--budget", "0.50", "--rail", "prepaid"], {
      AGX_URL: h.url,
      AGX_KEY: a.key,
    });
    expect(r.code, r.err).toBe(clientExitCodes.ok);
    expect(r.out).toMatch(/^plan$/m);
    expect(r.out).toMatch(/bom\s+signature verified offline, 2 steps/);
    expect(r.out).toMatch(/stopped\s+every step of the plan ran/);
    expect(r.err).toContain("… plan s1:");
  });

  it("spends nothing and says so when no plan fits the budget", async () => {
    const a = await h.agent("1");
    const r = await agx(["agent", GOAL, "--budget", "0.000001", "--json"], {
      AGX_URL: h.url,
      AGX_KEY: a.key,
    });
    expect(r.code, r.err).toBe(clientExitCodes.ok);
    const report = JSON.parse(r.out) as PlanReport;
    expect(report).toMatchObject({ stopped: "budget_too_small", steps: [], channel: null });
    expect(await availableMinor(a.client)).toBe(1_000_000n);
  });

  it("finds a bill of materials altered after signing, or stripped of its signature", async () => {
    const a = await h.agent("1");
    const report = await runPlan(a.client, { goal: GOAL, budget: "0.5", rail: "prepaid" });
    expect(report.bill_of_materials?.valid).toBe(true);
    const job = (await a.client.job(report.job_id ?? "")) as unknown as {
      result: { bill_of_materials: Record<string, unknown> };
    };
    const bom = job.result.bill_of_materials;
    const jwks = (await a.client.getJwks()) as Parameters<typeof verifyBillOfMaterials>[1];
    expect(await verifyBillOfMaterials(bom, jwks)).toMatchObject({ valid: true, steps: 2 });
    expect(await verifyBillOfMaterials({ ...bom, total_usd: 0 }, jwks)).toMatchObject({
      valid: false,
      code: "BOM_ALTERED",
    });
    const { signature: _, ...unsigned } = bom;
    expect(await verifyBillOfMaterials(unsigned, jwks)).toMatchObject({ code: "BOM_UNSIGNED" });
  });
});
