import { describe, expect, it } from "vitest";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";
import { formatDecimal, parseDecimal, rational } from "./rational.ts";
import { convert, unitsConvert } from "./units-convert.ts";
import { UNIT_SYMBOLS } from "./units-table.ts";

const [convertOp = expect.unreachable(), batchOp = expect.unreachable()] = unitsConvert.operations;
const converted = (value: string | number, from: string, to: string) =>
  convert({ value, from, to }).value;

describe("units.convert", () => {
  it("converts 100 C to 212 F exactly", () => {
    expect(convert({ value: "100", from: "C", to: "F" })).toEqual({
      value: "212",
      from: "C",
      to: "F",
      category: "temperature",
      exact: true,
    });
  });

  it("converts 1 km to 1000 m with no float drift", () => {
    expect(converted("1", "km", "m")).toBe("1000");
    expect(converted(0.1, "km", "m")).toBe("100");
    expect(converted("0.3", "m", "cm")).toBe("30");
  });

  it("uses the exact international definitions of imperial units", () => {
    expect(converted("1", "in", "cm")).toBe("2.54");
    expect(converted("1", "mi", "km")).toBe("1.609344");
    expect(converted("1", "lb", "kg")).toBe("0.45359237");
    expect(converted("1", "st", "lb")).toBe("14");
    expect(converted("16", "oz", "lb")).toBe("1");
  });

  it("round-trips temperatures through all three scales", () => {
    expect(converted("0", "K", "C")).toBe("-273.15");
    expect(converted("-40", "C", "F")).toBe("-40");
    expect(converted("32", "F", "K")).toBe("273.15");
    expect(converted("98.6", "F", "C")).toBe("37");
  });

  it("keeps decimal and binary data prefixes apart, and bits apart from bytes", () => {
    expect(converted("1", "KiB", "B")).toBe("1024");
    expect(converted("1", "KB", "B")).toBe("1000");
    expect(converted("1", "kB", "KB")).toBe("1");
    expect(converted("1", "GiB", "MiB")).toBe("1024");
    expect(converted("100", "Mbit", "MB")).toBe("12.5");
    expect(converted("1", "B", "bit")).toBe("8");
  });

  it("converts time units", () => {
    expect(converted("1", "wk", "h")).toBe("168");
    expect(converted("90", "min", "h")).toBe("1.5");
    expect(converted("1", "ns", "s")).toBe("0.000000001");
  });

  it("rounds a non-terminating result to 12 significant fractional digits and says so", () => {
    expect(convert({ value: "1", from: "m", to: "ft" })).toMatchObject({
      value: "3.280839895013",
      exact: false,
    });
    expect(converted("1", "min", "wk")).toBe("0.0000992063492063");
    expect(converted("1", "nm", "mi")).toBe("0.000000000000621371192237");
  });

  it("reads exponents and signs, and writes plain decimals", () => {
    expect(converted("1.5e3", "m", "km")).toBe("1.5");
    expect(converted(1e21, "B", "PB")).toBe("1000000");
    expect(converted("-2.5", "h", "min")).toBe("-150");
    expect(converted("-0", "s", "ms")).toBe("0");
  });

  it("refuses to convert between categories", async () => {
    await expect(convertOp.run({ value: "1", from: "kg", to: "m" })).rejects.toThrow(
      "cannot convert mass (kg) to length (m)",
    );
  });

  it("refuses temperatures below absolute zero", async () => {
    await expect(convertOp.run({ value: "-273.16", from: "C", to: "K" })).rejects.toThrow(
      "below absolute zero",
    );
  });

  it("refuses unknown units, with case mattering", async () => {
    await expect(convertOp.run({ value: "1", from: "mb", to: "B" })).rejects.toThrow(/from/);
    expect(() => convert({ value: "1", from: "constructor", to: "m" })).toThrow(BuiltinInputError);
  });

  it("accepts a value at the length and exponent limits and refuses past them", async () => {
    const max = builtinLimits.decimal_exponent_max;
    const digits = "9".repeat(builtinLimits.decimal_chars_max);
    await expect(convertOp.run({ value: digits, from: "m", to: "m" })).resolves.toMatchObject({
      value: digits,
    });
    await expect(convertOp.run({ value: `${digits}9`, from: "m", to: "m" })).rejects.toThrow(
      BuiltinInputError,
    );
    expect(converted(`1e${max}`, "m", "m")).toBe(`1${"0".repeat(max)}`);
    await expect(convertOp.run({ value: `1e${max + 1}`, from: "m", to: "m" })).rejects.toThrow(
      `exponent within ±${max}`,
    );
    await expect(convertOp.run({ value: 5e-324, from: "m", to: "m" })).rejects.toThrow(
      BuiltinInputError,
    );
  });

  it("refuses text that is not a decimal", async () => {
    for (const value of ["1,5", "0x10", "Infinity", "", " 1", "1."]) {
      await expect(convertOp.run({ value, from: "m", to: "m" }), value).rejects.toThrow(
        BuiltinInputError,
      );
    }
  });

  it("converts every unit to itself unchanged", () => {
    for (const unit of UNIT_SYMBOLS) expect(converted("273.15", unit, unit), unit).toBe("273.15");
  });
});

describe("units.convert convert_batch", () => {
  it("converts each item in order", async () => {
    const items = [
      { value: "1", from: "h", to: "s" },
      { value: "2", from: "kg", to: "g" },
    ];
    const output = (await batchOp.run({ items })) as { results: { value: string }[] };
    expect(output.results.map((r) => r.value)).toEqual(["3600", "2000"]);
  });

  it("locates the item that cannot be converted", async () => {
    const items = [
      { value: "1", from: "h", to: "s" },
      { value: "1", from: "h", to: "kg" },
    ];
    const error: unknown = await batchOp.run({ items }).catch((e: unknown) => e);
    expect((error as BuiltinInputError).errors).toEqual([
      { pointer: "/items/1/to", detail: "must be a time unit" },
    ]);
  });

  it("takes 1 to 100 items", async () => {
    const item = { value: "1", from: "m", to: "m" };
    const max = builtinLimits.conversions_per_batch_max;
    await expect(batchOp.run({ items: Array(max).fill(item) })).resolves.toBeDefined();
    await expect(batchOp.run({ items: Array(max + 1).fill(item) })).rejects.toThrow(/items/);
    await expect(batchOp.run({ items: [] })).rejects.toThrow(/items/);
  });
});

describe("decimal rationals", () => {
  it("parses decimal text exactly", () => {
    expect(parseDecimal("-1.25e-1", 10)).toEqual(rational(-1n, 8n));
    expect(parseDecimal("12", 10)).toEqual(rational(12n));
    expect(parseDecimal("1e11", 10)).toBeNull();
    expect(parseDecimal("abc", 10)).toBeNull();
  });

  it("rounds half away from zero and carries into the integer part", () => {
    expect(formatDecimal(rational(1n, 8n), 2)).toEqual({ text: "0.13", exact: false });
    expect(formatDecimal(rational(-1n, 8n), 2)).toEqual({ text: "-0.13", exact: false });
    expect(formatDecimal(rational(1n, 800n), 2)).toEqual({ text: "0.0013", exact: false });
    expect(formatDecimal(rational(19_999n, 10_000n), 3)).toEqual({ text: "2", exact: false });
    expect(formatDecimal(rational(2n, 3n), 3)).toEqual({ text: "0.667", exact: false });
    expect(formatDecimal(rational(1n, 4n), 3)).toEqual({ text: "0.25", exact: true });
  });
});
