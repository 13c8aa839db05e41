import { decimalToMinor, knownAssetDecimals, minorToDecimal } from "../../../src/sdk/money.ts";

/** Decimals of an asset as the console shows it (the hub's built-in assets, else 6). */
export function decimalsOf(asset: string): number {
  return knownAssetDecimals[asset] ?? 6;
}

/** Groups the whole part in threes: "1234567.5" → "1,234,567.5". */
function grouped(decimal: string): string {
  const [whole = "0", fraction] = decimal.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = sign ? whole.slice(1) : whole;
  const withCommas = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${withCommas}${fraction ? `.${fraction}` : ""}`;
}

/**
 * Money for people: minor units (string or bigint, never a float) as a grouped decimal with at
 * least two decimals and the asset: 1500000n USDC → "1.50 USDC".
 */
export function formatMoney(amount_minor: string | bigint, asset: string): string {
  const minor = typeof amount_minor === "bigint" ? amount_minor : BigInt(amount_minor);
  const text = minorToDecimal(minor, decimalsOf(asset));
  const [whole, fraction = ""] = text.split(".");
  return `${grouped(`${whole}.${fraction.padEnd(2, "0")}`)} ${asset}`;
}

/** A signed change for ledger history: "+1.50 USDC" or "−0.25 USDC". */
export function formatDelta(delta_minor: bigint, asset: string): string {
  if (delta_minor === 0n) return formatMoney(0n, asset);
  const sign = delta_minor > 0n ? "+" : "−";
  return `${sign}${formatMoney(delta_minor > 0n ? delta_minor : -delta_minor, asset)}`;
}

export type ParsedAmount = { ok: true; minor: bigint; text: string } | { ok: false; error: string };

/** What a person typed as an amount, checked as the hub will: a plain decimal within decimals. */
export function parseAmount(input: string, asset: string): ParsedAmount {
  const text = input.trim().replace(/,/g, "");
  if (text === "") return { ok: false, error: "Enter an amount" };
  const decimals = decimalsOf(asset);
  const minor = decimalToMinor(text, decimals);
  if (minor === null) {
    return /^\d*\.?\d*$/.test(text)
      ? { ok: false, error: `${asset} has at most ${decimals} decimals` }
      : { ok: false, error: "Use digits and one decimal point, e.g. 12.50" };
  }
  if (minor === 0n) return { ok: false, error: "The amount must be more than zero" };
  return { ok: true, minor, text: minorToDecimal(minor, decimals) };
}

/** The difference between two balances in minor units (after − before). */
export function balanceChange(before_minor: string, after_minor: string): bigint {
  return BigInt(after_minor) - BigInt(before_minor);
}

/** A wire decimal ("12.5") in minor units of `asset`; null when it is not one. */
export function minorOfDecimal(text: string, asset: string): bigint | null {
  return decimalToMinor(text, decimalsOf(asset));
}
