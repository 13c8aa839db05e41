/**
 * Prices as peers write them (JSON numbers in Python's spelling: `0.002`, `1e-05`, `3.0`) turned
 * into exact minor units without ever multiplying a float: the decimal text is read digit by
 * digit. Rounds up, so a hub never charges less than the peer will.
 */
const NUMBER_TEXT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]{1,3}))?$/;
const EXPONENT_ABS_MAX = 40;

/** Minor units (`decimals` places) of a non-negative decimal text, rounded up; null if not one. */
export function decimalTextToMinorCeil(text: string, decimals: number): bigint | null {
  const m = NUMBER_TEXT.exec(text);
  if (!m) return null;
  const [, whole = "0", fraction = "", exp = "0"] = m;
  const exponent = Number(exp);
  if (Math.abs(exponent) > EXPONENT_ABS_MAX) return null;
  // value = digits × 10^(exponent − fraction.length); scaled by 10^decimals.
  const digits = BigInt(whole + fraction);
  const shift = exponent - fraction.length + decimals;
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  const floor = digits / divisor;
  return digits % divisor === 0n ? floor : floor + 1n;
}

/** The shortest text of a JSON number as JavaScript parsed it ("0.002", "1e-7"). */
export function numberText(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;
  return String(value).replace("e+", "e");
}
