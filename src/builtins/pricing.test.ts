import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { BuiltinInputError, type BuiltinOperation, type BuiltinPricing } from "./model.ts";
import { measureUnits, priceFor } from "./pricing.ts";
import { findBuiltin } from "./registry.ts";

/** An operation that accepts anything, priced as given. */
function pricedAs(pricing: BuiltinPricing): BuiltinOperation {
  return {
    name: "probe",
    description: "test double",
    input_schema: Type.Object({}, { additionalProperties: true }),
    output_schema: Type.Null(),
    examples: [],
    pricing,
    run: async () => null,
  };
}

const perUnit = (unit: "kilobyte" | "character" | "item") =>
  pricedAs({ model: "per_unit", unit, amount_minor_per_unit: 7n, minimum_minor: 20n });

describe("measureUnits", () => {
  it("counts kilobytes of canonical JSON, 1000 bytes each, rounded up", () => {
    // {"a":"…"} is 8 bytes of JSON around the padding.
    const ofBytes = (bytes: number) => ({ a: "x".repeat(bytes - 8) });
    expect(measureUnits("kilobyte", {})).toBe(1n);
    expect(measureUnits("kilobyte", ofBytes(1000))).toBe(1n);
    expect(measureUnits("kilobyte", ofBytes(1001))).toBe(2n);
    expect(measureUnits("kilobyte", ofBytes(3000))).toBe(3n);
  });

  it("measures the canonical form, not the caller's spacing or key order", () => {
    const a = JSON.parse('{ "b": 1,   "a": [1, 2] }');
    expect(measureUnits("kilobyte", a)).toBe(measureUnits("kilobyte", { a: [1, 2], b: 1 }));
  });

  it("counts UTF-8 bytes, so multi-byte text weighs more", () => {
    // 500 × "€" is 1500 bytes, plus {"a":""}.
    expect(measureUnits("kilobyte", { a: "€".repeat(500) })).toBe(2n);
  });

  it("counts characters of the text field as code points", () => {
    expect(measureUnits("character", { text: "héllo👍" })).toBe(6n);
    expect(measureUnits("character", { text: "" })).toBe(0n);
    expect(measureUnits("character", { other: "abc" })).toBe(0n);
  });

  it("counts items of the items array", () => {
    expect(measureUnits("item", { items: [1, 2, 3] })).toBe(3n);
    expect(measureUnits("item", { items: "abc" })).toBe(0n);
    expect(measureUnits("item", {})).toBe(0n);
  });
});

describe("priceFor", () => {
  it("charges the fixed amount whatever the input", () => {
    const op = pricedAs({ model: "fixed", amount_minor: 100n });
    expect(priceFor(op, {})).toBe(100n);
    expect(priceFor(op, { text: "x".repeat(10_000) })).toBe(100n);
  });

  it("charges units times the rate, never less than the minimum", () => {
    expect(priceFor(perUnit("character"), { text: "ab" })).toBe(20n);
    expect(priceFor(perUnit("character"), { text: "abc" })).toBe(21n);
    expect(priceFor(perUnit("character"), { text: "x".repeat(1000) })).toBe(7000n);
    expect(priceFor(perUnit("item"), { items: [] })).toBe(20n);
    expect(priceFor(perUnit("item"), { items: Array(10).fill(0) })).toBe(70n);
    expect(priceFor(perUnit("kilobyte"), { a: "x".repeat(4000) })).toBe(35n);
  });

  it("quotes the shipped skills from their own pricing", () => {
    const stats = findBuiltin("text.stats", "analyze")?.operation ?? expect.unreachable();
    expect(priceFor(stats, { text: "x".repeat(5000) })).toBe(5000n);
    expect(priceFor(stats, { text: "short" })).toBe(1000n);
    const batch = findBuiltin("units.convert", "convert_batch")?.operation ?? expect.unreachable();
    const item = { value: "1", from: "m", to: "ft" };
    expect(priceFor(batch, { items: Array(5).fill(item) })).toBe(250n);
    const convert = findBuiltin("units.convert", "convert")?.operation ?? expect.unreachable();
    expect(priceFor(convert, item)).toBe(100n);
  });

  it("refuses to quote an input the operation's schema rejects", () => {
    const stats = findBuiltin("text.stats", "analyze")?.operation ?? expect.unreachable();
    expect(() => priceFor(stats, { text: 12 })).toThrow(BuiltinInputError);
    expect(() => priceFor(stats, { text: "x".repeat(100_001) })).toThrow(BuiltinInputError);
  });
});
