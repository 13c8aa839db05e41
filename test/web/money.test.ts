import { describe, expect, it } from "vitest";
import {
  balanceChange,
  formatDelta,
  formatMoney,
  minorOfDecimal,
  parseAmount,
} from "../../web/src/lib/money.ts";

describe("console money", () => {
  it("shows minor units as a grouped decimal with two places at least", () => {
    expect(formatMoney("1500000", "USDC")).toBe("1.50 USDC");
    expect(formatMoney(0n, "USDC")).toBe("0.00 USDC");
    expect(formatMoney("1234567890123", "USDC")).toBe("1,234,567.890123 USDC");
    expect(formatMoney("50000", "USDT")).toBe("0.05 USDT");
  });

  it("keeps amounts beyond 2^53 exact", () => {
    expect(formatMoney("9007199254740993000001", "USDC")).toBe("9,007,199,254,740,993.000001 USDC");
  });

  it("signs changes from the holder's side", () => {
    expect(formatDelta(4_950_000n, "USDC")).toBe("+4.95 USDC");
    expect(formatDelta(-5_000_000n, "USDC")).toBe("−5.00 USDC");
    expect(balanceChange("100000000", "95000000")).toBe(-5_000_000n);
  });

  it("accepts what the hub accepts and explains the rest", () => {
    expect(parseAmount(" 12.5 ", "USDC")).toEqual({ ok: true, minor: 12_500_000n, text: "12.5" });
    expect(parseAmount("1,000", "USDC")).toEqual({ ok: true, minor: 1_000_000_000n, text: "1000" });
    expect(parseAmount("0.0000001", "USDC")).toEqual({
      ok: false,
      error: "USDC has at most 6 decimals",
    });
    expect(parseAmount("1e3", "USDC").ok).toBe(false);
    expect(parseAmount("-1", "USDC").ok).toBe(false);
    expect(parseAmount("0", "USDC")).toEqual({
      ok: false,
      error: "The amount must be more than zero",
    });
    expect(parseAmount("", "USDC")).toEqual({ ok: false, error: "Enter an amount" });
    expect(minorOfDecimal("10", "USDC")).toBe(10_000_000n);
  });
});
