import { describe, expect, it } from "vitest";
import { appendSample, emptySeries, sampleOfTotals } from "../../web/src/lib/floor.ts";
import { checkJsonSchemaText } from "../../web/src/lib/json-schema.ts";
import {
  emptyPolicyForm,
  policyBody,
  policyFormOf,
  usedPercent,
} from "../../web/src/lib/policy.ts";

describe("JSON Schema editor checks", () => {
  it("accepts a sound schema", () => {
    const r = checkJsonSchemaText(
      '{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}',
    );
    expect(r.issues).toEqual([]);
  });

  it("locates a syntax error by line and column", () => {
    const { issues } = checkJsonSchemaText('{\n  "type": "object",\n  oops\n}');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/^Not valid JSON/);
    expect(issues[0]?.line).toBe(3);
  });

  it("names the pointer of unknown types and undeclared required properties", () => {
    const { issues } = checkJsonSchemaText(
      '{"type":"object","properties":{"n":{"type":"int"}},"required":["n","m"]}',
    );
    expect(issues).toEqual([
      { pointer: "/properties/n/type", message: 'Unknown type "int"' },
      { pointer: "/required", message: '"m" is required but not declared in properties' },
    ]);
    expect(checkJsonSchemaText("[]").issues[0]?.message).toBe("A JSON Schema must be an object");
  });
});

describe("delegation policy form", () => {
  it("turns empty limits into no limit and lists into arrays", () => {
    const r = policyBody({
      ...emptyPolicyForm,
      dailySpendLimit: "10",
      allowedRails: "prepaid, x402",
    });
    expect(r).toEqual({
      ok: true,
      body: {
        currency: "USDC",
        perTransactionLimit: null,
        dailySpendLimit: "10",
        monthlySpendLimit: null,
        totalBudget: null,
        allowedRails: ["prepaid", "x402"],
        expiresAt: null,
      },
    });
  });

  it("refuses a daily limit above the monthly one and malformed amounts", () => {
    const r = policyBody({
      ...emptyPolicyForm,
      dailySpendLimit: "10",
      monthlySpendLimit: "5",
      totalBudget: "ten",
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.dailySpendLimit).toBe("The daily limit is above the monthly limit");
      expect(r.errors.totalBudget).toMatch(/digits/);
    }
  });

  it("fills the form back from a stored policy", () => {
    const form = policyFormOf({
      currency: "USDT",
      dailySpendLimit: "2.5",
      allowedSkillKeys: ["a", "b"],
    });
    expect(form.currency).toBe("USDT");
    expect(form.dailySpendLimit).toBe("2.5");
    expect(form.allowedSkillKeys).toBe("a, b");
  });

  it("computes the used share of a limit in whole percent, capped at 100", () => {
    expect(usedPercent("2500000", "10000000")).toBe(25);
    expect(usedPercent("20000000", "10000000")).toBe(100);
    expect(usedPercent("1", null)).toBeNull();
  });
});

describe("live floor series", () => {
  it("reads totals events and keeps a bounded window", () => {
    const sample = sampleOfTotals({
      at: "2026-06-01T00:00:10.000Z",
      invocations: { total: 7, by_status: { succeeded: 6, failed: 1 } },
      spend: [{ asset: "USDC", amount: "1.5", amount_minor: "1500000" }],
    });
    expect(sample).toEqual({
      at_s: Date.UTC(2026, 5, 1, 0, 0, 10) / 1000,
      invocations: 7,
      failed: 1,
      spend_minor: { USDC: 1_500_000n },
    });
    if (!sample) throw new Error("a totals event must give a sample");
    let s = emptySeries;
    for (let i = 0; i < 5; i++) s = appendSample(s, sample, "USDC", 6, 3);
    expect(s.x).toHaveLength(3);
    expect(s.spend).toEqual([1.5, 1.5, 1.5]);
    expect(sampleOfTotals({ nonsense: true })).toBeNull();
  });
});
