/** One sample of the live floor: when, invocations so far, settled spend per asset (minor). */
export interface FloorSample {
  at_s: number;
  invocations: number;
  failed: number;
  spend_minor: Record<string, bigint>;
}

/** Series as uPlot takes them: x (seconds) then one y array per line. */
export interface FloorSeries {
  x: number[];
  invocations: number[];
  failed: number[];
  spend: number[];
}

/**
 * A `totals` event of the live stream as a sample: counts by status and settled spend per asset.
 * Unknown shapes count as zero rather than break the page.
 */
export function sampleOfTotals(data: unknown): FloorSample | null {
  if (typeof data !== "object" || data === null) return null;
  const d = data as Record<string, unknown>;
  const at = typeof d.at === "string" ? Date.parse(d.at) : Number.NaN;
  if (Number.isNaN(at)) return null;
  const inv = (d.invocations ?? {}) as { total?: number; by_status?: Record<string, number> };
  const spend: Record<string, bigint> = {};
  for (const s of Array.isArray(d.spend) ? d.spend : []) {
    const row = s as { asset?: string; amount_minor?: string };
    if (row.asset && row.amount_minor && /^\d+$/.test(row.amount_minor)) {
      spend[row.asset] = BigInt(row.amount_minor);
    }
  }
  return {
    at_s: Math.floor(at / 1000),
    invocations: inv.total ?? 0,
    failed: inv.by_status?.failed ?? 0,
    spend_minor: spend,
  };
}

/**
 * Appends a sample, keeping at most `max_points`. Spend is charted in whole units of `asset`
 * (the chart is a picture; the table shows exact amounts).
 */
export function appendSample(
  series: FloorSeries,
  sample: FloorSample,
  asset: string,
  decimals: number,
  max_points: number,
): FloorSeries {
  const keep = (a: number[], v: number) => [...a, v].slice(-max_points);
  const minor = sample.spend_minor[asset] ?? 0n;
  const unit = 10n ** BigInt(decimals);
  const whole = Number(minor / unit) + Number(minor % unit) / Number(unit);
  return {
    x: keep(series.x, sample.at_s),
    invocations: keep(series.invocations, sample.invocations),
    failed: keep(series.failed, sample.failed),
    spend: keep(series.spend, whole),
  };
}

export const emptySeries: FloorSeries = { x: [], invocations: [], failed: [], spend: [] };
