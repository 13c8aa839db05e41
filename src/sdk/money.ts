/** Exact decimal ↔ minor-unit conversion for wire amounts (never floats near money). */

const DECIMAL = /^(0|[1-9][0-9]{0,30})(\.([0-9]{1,18}))?$/;

/** `"1.25"` with 6 decimals → 1250000n; null when not a plain non-negative decimal that fits. */
export function decimalToMinor(text: string, decimals: number): bigint | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const fraction = m[3] ?? "";
  if (fraction.length > decimals) return null;
  return BigInt(m[1] ?? "0") * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0"));
}

/** 1250000n with 6 decimals → `"1.25"`. */
export function minorToDecimal(minor: bigint, decimals: number): string {
  const sign = minor < 0n ? "-" : "";
  const abs = minor < 0n ? -minor : minor;
  const unit = 10n ** BigInt(decimals);
  const whole = abs / unit;
  const fraction = (abs % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Decimals of the assets agx ships with; a hub may configure others (pass them explicitly). */
export const knownAssetDecimals: Readonly<Record<string, number>> = { USDC: 6, USDT: 6 };
