import { add, mul, powerOfTen, type Rational, rational } from "./rational.ts";

/** The kinds of quantity units.convert knows; units convert only within one kind. */
export type UnitCategory = "length" | "mass" | "temperature" | "data" | "time";

/**
 * A unit as an affine map onto its category's base unit (m, kg, K, B, s):
 * base = value × scale + offset. Offsets are zero except for °C and °F.
 */
export interface UnitDefinition {
  readonly category: UnitCategory;
  readonly scale: Rational;
  readonly offset: Rational;
}

const ZERO = rational(0n);

function linear(category: UnitCategory, scale: Rational): UnitDefinition {
  return { category, scale, offset: ZERO };
}

const length = (scale: Rational) => linear("length", scale);
const mass = (scale: Rational) => linear("mass", scale);
const data = (scale: Rational) => linear("data", scale);
const time = (scale: Rational) => linear("time", scale);

// Every factor below is exact by definition: the international yard and pound (1959),
// the nautical mile (1929), the SI and IEC prefixes.
const INCH = rational(254n, 10_000n);
const POUND = rational(45_359_237n, 100_000_000n);
const FAHRENHEIT_SCALE = rational(5n, 9n);

/** Every unit by its symbol. Symbols are case-sensitive: "Mbit" is not "MB". */
export const UNITS: Readonly<Record<string, UnitDefinition>> = {
  m: length(rational(1n)),
  km: length(powerOfTen(3)),
  cm: length(powerOfTen(-2)),
  mm: length(powerOfTen(-3)),
  um: length(powerOfTen(-6)),
  nm: length(powerOfTen(-9)),
  in: length(INCH),
  ft: length(mul(INCH, rational(12n))),
  yd: length(mul(INCH, rational(36n))),
  mi: length(mul(INCH, rational(63_360n))),
  nmi: length(rational(1852n)),

  kg: mass(rational(1n)),
  g: mass(powerOfTen(-3)),
  mg: mass(powerOfTen(-6)),
  ug: mass(powerOfTen(-9)),
  t: mass(powerOfTen(3)),
  lb: mass(POUND),
  oz: mass(mul(POUND, rational(1n, 16n))),
  st: mass(mul(POUND, rational(14n))),

  K: { category: "temperature", scale: rational(1n), offset: ZERO },
  C: { category: "temperature", scale: rational(1n), offset: rational(27_315n, 100n) },
  // K = (°F + 459.67) × 5/9
  F: {
    category: "temperature",
    scale: FAHRENHEIT_SCALE,
    offset: mul(rational(45_967n, 100n), FAHRENHEIT_SCALE),
  },

  bit: data(rational(1n, 8n)),
  kbit: data(rational(125n)),
  Mbit: data(rational(125_000n)),
  Gbit: data(rational(125_000_000n)),
  B: data(rational(1n)),
  kB: data(powerOfTen(3)),
  KB: data(powerOfTen(3)),
  MB: data(powerOfTen(6)),
  GB: data(powerOfTen(9)),
  TB: data(powerOfTen(12)),
  PB: data(powerOfTen(15)),
  KiB: data(rational(2n ** 10n)),
  MiB: data(rational(2n ** 20n)),
  GiB: data(rational(2n ** 30n)),
  TiB: data(rational(2n ** 40n)),
  PiB: data(rational(2n ** 50n)),

  ns: time(powerOfTen(-9)),
  us: time(powerOfTen(-6)),
  ms: time(powerOfTen(-3)),
  s: time(rational(1n)),
  min: time(rational(60n)),
  h: time(rational(3_600n)),
  d: time(rational(86_400n)),
  wk: time(rational(604_800n)),
};

/** The symbols in table order, for the input schema's enum. */
export const UNIT_SYMBOLS: readonly string[] = Object.keys(UNITS);

/** The unit a symbol names; own keys only, so "constructor" is no unit. */
export function unitOf(symbol: string): UnitDefinition | undefined {
  return Object.hasOwn(UNITS, symbol) ? UNITS[symbol] : undefined;
}

/** The value in the category's base unit. */
export function toBase(value: Rational, unit: UnitDefinition): Rational {
  return add(mul(value, unit.scale), unit.offset);
}
