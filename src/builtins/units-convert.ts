import { type Static, Type } from "@sinclair/typebox";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError, type BuiltinSkill } from "./model.ts";
import { div, formatDecimal, parseDecimal, sub } from "./rational.ts";
import { toBase, UNIT_SYMBOLS, type UnitCategory, unitOf } from "./units-table.ts";
import { checkInput } from "./validate.ts";

const Unit = Type.Unsafe<string>({ type: "string", enum: [...UNIT_SYMBOLS] });

const Value = Type.Union(
  [
    Type.Number(),
    Type.String({
      maxLength: builtinLimits.decimal_chars_max,
      pattern: "^[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$",
    }),
  ],
  { description: "A decimal string (exact) or a JSON number (read as its shortest decimal)" },
);

const Conversion = Type.Object(
  { value: Value, from: Unit, to: Unit },
  { additionalProperties: false },
);

const Category = Type.Unsafe<UnitCategory>({
  type: "string",
  enum: ["length", "mass", "temperature", "data", "time"],
});

const ConversionResult = Type.Object(
  {
    value: Type.String({ description: "Plain decimal text, never exponent notation" }),
    from: Unit,
    to: Unit,
    category: Category,
    exact: Type.Boolean({ description: "False when the fraction was rounded" }),
  },
  { additionalProperties: false },
);

const BatchInput = Type.Object(
  {
    items: Type.Array(Conversion, {
      minItems: 1,
      maxItems: builtinLimits.conversions_per_batch_max,
    }),
  },
  { additionalProperties: false },
);

const BatchOutput = Type.Object(
  {
    results: Type.Array(ConversionResult, {
      maxItems: builtinLimits.conversions_per_batch_max,
    }),
  },
  { additionalProperties: false },
);

type Conversion = Static<typeof Conversion>;
type ConversionResult = Static<typeof ConversionResult>;

/**
 * Converts a value between units of one category, exactly: every factor is a rational, and
 * only the final fraction is rounded (12 significant fractional digits, half away from zero).
 * `pointer` locates the conversion in the caller's input for error reports.
 */
export function convert(conversion: Conversion, pointer = ""): ConversionResult {
  const { from, to } = conversion;
  const source = unitOf(from);
  const target = unitOf(to);
  if (source === undefined || target === undefined) {
    // The schema's enum makes this unreachable through run(); direct callers get a clean error.
    throw new BuiltinInputError(`unknown unit ${source === undefined ? from : to}`, [
      { pointer: `${pointer}/${source === undefined ? "from" : "to"}`, detail: "unknown unit" },
    ]);
  }
  if (source.category !== target.category) {
    throw new BuiltinInputError(
      `cannot convert ${source.category} (${from}) to ${target.category} (${to})`,
      [{ pointer: `${pointer}/to`, detail: `must be a ${source.category} unit` }],
    );
  }
  const text = typeof conversion.value === "number" ? String(conversion.value) : conversion.value;
  const value = parseDecimal(text, builtinLimits.decimal_exponent_max);
  if (value === null) {
    const max = builtinLimits.decimal_exponent_max;
    throw new BuiltinInputError(
      `the value ${text} is not a decimal with an exponent within ±${max}`,
      [
        {
          pointer: `${pointer}/value`,
          detail: `must be a finite decimal, exponent within ±${max}`,
        },
      ],
    );
  }
  const base = toBase(value, source);
  if (source.category === "temperature" && base.num < 0n) {
    throw new BuiltinInputError(`${text} ${from} is below absolute zero`, [
      { pointer: `${pointer}/value`, detail: "must not be below absolute zero" },
    ]);
  }
  const result = formatDecimal(
    div(sub(base, target.offset), target.scale),
    builtinLimits.fraction_digits_significant,
  );
  return { value: result.text, from, to, category: source.category, exact: result.exact };
}

/** Converts each item in order; the first item that cannot be converted fails the call. */
export function convertBatch(input: Static<typeof BatchInput>): Static<typeof BatchOutput> {
  return { results: input.items.map((item, i) => convert(item, `/items/${i}`)) };
}

const SYMBOLS_TEXT = UNIT_SYMBOLS.join(", ");

/** units.convert: exact unit conversion with decimal strings. */
export const unitsConvert: BuiltinSkill = {
  key: "units.convert",
  label: "Unit conversion",
  description:
    "Converts length, mass, temperature (C, F, K), data size (B, KB, KiB, bit …) and time " +
    "between units with exact rational arithmetic, returning decimal strings.",
  tags: ["units", "conversion", "measurement", "temperature", "data size", "metric", "imperial"],
  operations: [
    {
      name: "convert",
      description: `Converts one value. Units: ${SYMBOLS_TEXT}.`,
      input_schema: Conversion,
      output_schema: ConversionResult,
      pricing: { model: "fixed", amount_minor: 100n },
      examples: [
        {
          input: { value: "100", from: "C", to: "F" },
          output: { value: "212", from: "C", to: "F", category: "temperature", exact: true },
        },
        {
          input: { value: "1", from: "m", to: "ft" },
          output: {
            value: "3.280839895013",
            from: "m",
            to: "ft",
            category: "length",
            exact: false,
          },
        },
      ],
      run: async (input) => convert(checkInput(Conversion, input)),
    },
    {
      name: "convert_batch",
      description: "Converts up to 100 values in one call, in order.",
      input_schema: BatchInput,
      output_schema: BatchOutput,
      pricing: {
        model: "per_unit",
        unit: "item",
        amount_minor_per_unit: 50n,
        minimum_minor: 100n,
      },
      examples: [
        {
          input: {
            items: [
              { value: "1", from: "GiB", to: "MB" },
              { value: 98.6, from: "F", to: "C" },
            ],
          },
          output: {
            results: [
              { value: "1073.741824", from: "GiB", to: "MB", category: "data", exact: true },
              { value: "37", from: "F", to: "C", category: "temperature", exact: true },
            ],
          },
        },
      ],
      run: async (input) => convertBatch(checkInput(BatchInput, input)),
    },
  ],
};
