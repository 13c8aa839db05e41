import { describe, expect, it } from "vitest";
import { trustScore } from "./trust.ts";
import { decimalTextToMinorCeil } from "./usd.ts";

describe("trust score (AIMP v2 §5.1)", () => {
  it("weighs age, bond, success rate and volume as the spec's formula", () => {
    const full = { age_days: 365, bond_usd: 10_000, success_rate_30d: 1, volume_usd_30d: 100_000 };
    expect(trustScore(full)).toBe(1);
    // 0.2·(182.5/365) + 0.3·(log10(100)/4) + 0.35·0.9 + 0.15·(log10(1000)/5)
    expect(
      trustScore({ age_days: 182.5, bond_usd: 100, success_rate_30d: 0.9, volume_usd_30d: 1000 }),
    ).toBe(0.655);
  });

  it("gives nothing for what is unknown, and never goes below 0 or above 1", () => {
    expect(trustScore({ age_days: 0, bond_usd: 0, success_rate_30d: 0, volume_usd_30d: 0 })).toBe(
      0,
    );
    expect(
      trustScore({ age_days: -5, bond_usd: 0.5, success_rate_30d: -1, volume_usd_30d: 0.1 }),
    ).toBe(0);
    expect(
      trustScore({ age_days: 9e9, bond_usd: 1e12, success_rate_30d: 7, volume_usd_30d: 1e15 }),
    ).toBe(1);
  });
});

describe("peer prices to minor units", () => {
  it("reads Python float spellings exactly and rounds up, never down", () => {
    expect(decimalTextToMinorCeil("0.002", 6)).toBe(2000n);
    expect(decimalTextToMinorCeil("1e-05", 6)).toBe(10n);
    expect(decimalTextToMinorCeil("3.0", 6)).toBe(3_000_000n);
    expect(decimalTextToMinorCeil("1.5e2", 6)).toBe(150_000_000n);
    expect(decimalTextToMinorCeil("0.0000001", 6)).toBe(1n);
    expect(decimalTextToMinorCeil("0", 6)).toBe(0n);
  });

  it("refuses what is not a non-negative decimal", () => {
    for (const text of ["-1", "1,5", "NaN", "", "1e999", "0x10"]) {
      expect(decimalTextToMinorCeil(text, 6), text).toBeNull();
    }
  });
});
