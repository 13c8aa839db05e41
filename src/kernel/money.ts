import { limits } from "./limits.ts";

/** An exact amount: integer minor units of one asset. Never a float. */
export interface Money {
  readonly amount_minor: bigint;
  readonly asset: string;
}

/** How an amount travels on the wire: minor units as a decimal string. */
export interface WireMoney {
  amount_minor: string;
  asset: string;
}

/** An asset the hub keeps accounts in, with the number of decimals of one whole unit. */
export interface Asset {
  readonly code: string;
  readonly decimals: number;
}

const MINOR_PATTERN = /^(0|[1-9][0-9]{0,18})$/;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Parses a wire amount ("1500000") into bigint minor units, or null when it is not one. */
export function parseMinor(text: string): bigint | null {
  if (!MINOR_PATTERN.test(text)) return null;
  const value = BigInt(text);
  return value <= limits.amount_minor_max ? value : null;
}

/**
 * Converts a human decimal ("1.5") to minor units of an asset with `decimals` places.
 * Refuses more fractional digits than the asset has, rather than rounding money.
 */
export function decimalToMinor(text: string, decimals: number): bigint | null {
  if (!DECIMAL_PATTERN.test(text)) return null;
  const [whole = "0", fraction = ""] = text.split(".");
  if (fraction.length > decimals) return null;
  const value = BigInt(whole + fraction.padEnd(decimals, "0"));
  return value <= limits.amount_minor_max ? value : null;
}

/** Formats minor units as a human decimal with exactly `decimals` places ("1.500000"). */
export function minorToDecimal(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** Money for the wire. */
export function toWire(money: Money): WireMoney {
  return { amount_minor: money.amount_minor.toString(), asset: money.asset };
}

/** The default asset list: the two stablecoins agents pay with, 6 decimals each. */
export const defaultAssets: readonly Asset[] = [
  { code: "USDC", decimals: 6 },
  { code: "USDT", decimals: 6 },
];
