import { assert } from "../kernel/assert.ts";

/**
 * An exact fraction of two bigints, always reduced, with a positive denominator. Unit factors
 * such as 0.3048 m/ft are exact decimals, so conversions through them carry no float drift.
 */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num/den in lowest terms. */
export function rational(num: bigint, den = 1n): Rational {
  assert(den !== 0n, "a rational's denominator is never zero");
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(num, den) || 1n;
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

/** 10^exponent as a rational; negative exponents give 1/10^-exponent. */
export function powerOfTen(exponent: number): Rational {
  const magnitude = 10n ** BigInt(Math.abs(exponent));
  return exponent >= 0 ? rational(magnitude) : rational(1n, magnitude);
}

export function add(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function sub(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den - b.num * a.den, a.den * b.den);
}

export function mul(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

export function div(a: Rational, b: Rational): Rational {
  assert(b.num !== 0n, "division by a zero rational");
  return rational(a.num * b.den, a.den * b.num);
}

const DECIMAL = /^([+-]?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * The exact value of decimal text such as "-1.5e3", or null when it is not decimal text or
 * its exponent exceeds `exponent_max` (which keeps the bigints a caller can ask for small).
 */
export function parseDecimal(text: string, exponent_max: number): Rational | null {
  const match = DECIMAL.exec(text);
  if (match === null) return null;
  const [, sign = "", whole = "0", fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > exponent_max) return null;
  const digits = BigInt(whole + fraction) * (sign === "-" ? -1n : 1n);
  return mul(rational(digits), powerOfTen(exponent - fraction.length));
}

/** Decimal text and whether it is the exact value or a rounding of it. */
export interface DecimalText {
  readonly text: string;
  readonly exact: boolean;
}

/**
 * Formats a rational as plain decimal text (never exponent notation). The integer part is
 * always exact; the fraction keeps `significant` digits after its leading zeros, rounded half
 * away from zero, with trailing zeros removed: 1/3 → "0.333333333333", 1/8 → "0.125".
 */
export function formatDecimal(value: Rational, significant: number): DecimalText {
  const negative = value.num < 0n;
  const magnitude = negative ? -value.num : value.num;
  let whole = magnitude / value.den;
  const remainder = magnitude % value.den;
  if (remainder === 0n) return { text: signed(whole.toString(), negative), exact: true };
  const digits = (whole === 0n ? leadingZeros(remainder, value.den) : 0) + significant;
  const scale = 10n ** BigInt(digits);
  let fraction = (remainder * scale) / value.den;
  const rest = (remainder * scale) % value.den;
  if (rest * 2n >= value.den) fraction += 1n;
  if (fraction === scale) {
    whole += 1n;
    fraction = 0n;
  }
  const fractionText = fraction.toString().padStart(digits, "0").replace(/0+$/, "");
  const text = fractionText === "" ? whole.toString() : `${whole}.${fractionText}`;
  return { text: signed(text, negative), exact: rest === 0n };
}

// Zeros between the point and the first significant digit of remainder/den (< 1).
function leadingZeros(remainder: bigint, den: bigint): number {
  let zeros = 0;
  for (let scaled = remainder * 10n; scaled < den; scaled *= 10n) zeros++;
  return zeros;
}

function signed(text: string, negative: boolean): string {
  return negative && text !== "0" ? `-${text}` : text;
}
