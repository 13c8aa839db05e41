import type { TrustInputs } from "./model.ts";

/**
 * The trust score of spec §5.1, in [0, 1]:
 * `0.2·min(age_days/365, 1) + 0.3·min(log10(bond_usd)/4, 1) + 0.35·success_rate_30d
 *  + 0.15·min(log10(volume_usd_30d)/5, 1)`. A logarithm of less than 1 USD counts as 0 (the
 * formula would go negative), and the result is rounded to four places for the wire.
 */
export function trustScore(i: TrustInputs): number {
  const age = clamp01(i.age_days / 365);
  const bond = clamp01(logTerm(i.bond_usd) / 4);
  const success = clamp01(i.success_rate_30d);
  const volume = clamp01(logTerm(i.volume_usd_30d) / 5);
  const score = 0.2 * age + 0.3 * bond + 0.35 * success + 0.15 * volume;
  return Math.round(score * 10_000) / 10_000;
}

function logTerm(usd: number): number {
  return Number.isFinite(usd) && usd > 1 ? Math.log10(usd) : 0;
}

function clamp01(x: number): number {
  if (!Number.isFinite(x) || x < 0) return 0;
  return Math.min(x, 1);
}
