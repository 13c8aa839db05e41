/**
 * The Factory Floor: what the hub's market is doing, read from the rows other modules write
 * (orders, runs, payments, receipts, principals, market orders). Stats is a read model: it never
 * writes another module's tables; its own tables hold only the derived health summary.
 * Everything here is public, so nothing names a party, and money appears only summed per asset.
 */

/** A count per value of a status or kind column. */
export type Counts = Record<string, number>;

/** Money summed per asset, exact minor units. */
export interface AssetTotal {
  asset: string;
  amount_minor: bigint;
  count: number;
}

/** One service's track record over a window (by service name, across its versions). */
export interface ServiceHealth {
  service: string;
  runs: number;
  succeeded: number;
  failed: number;
  /** succeeded / runs; null below `health_runs_min` runs ("no track record yet"). */
  success_rate: number | null;
  /** Median latency of successful runs; null below `health_runs_min` runs. */
  p50_latency_ms: number | null;
}

/**
 * One service's own record, for its provider (not public): runs, latency and what it earned.
 * Counted over every version of the service's name by the same provider.
 */
export interface ServiceRecord {
  /** Runs by status (`running`, `succeeded`, `failed`). */
  runs: Counts;
  /** Latency of successful runs (nearest-rank percentiles); null without samples. */
  latency: { samples: number; p50_ms: number | null; p95_ms: number | null };
  /** Settled (released) orders per asset: what buyers paid and the hub's fee of it. */
  revenue: { asset: string; settled_orders: number; gross_minor: bigint; fee_minor: bigint }[];
}

/** A busy service of the recent window. */
export interface TopService {
  service: string;
  skill_key: string;
  invocations: number;
  succeeded: number;
  failed: number;
  /** failed / (succeeded + failed); null when nothing finished. */
  error_rate: number | null;
}

/** A snapshot of the whole floor. Counts are all-time unless under `window`. */
export interface FloorStats {
  generated_at_ms: number;
  window_start_ms: number;
  principals: Counts;
  services_active: number;
  orders: Counts;
  /** Runs (invocations) by status. */
  invocations: Counts;
  /** Payments that ended: `released` (settled to the provider) and `refunded`. */
  settlements: Counts;
  /** What buyers paid for settled orders, per asset. */
  spend: AssetTotal[];
  receipts: number;
  market_orders: Counts;
  window: { invocations: Counts; error_rate: number | null };
  top_services: TopService[];
}

/** One row of the live feed. `data` never names a party, an order or an amount. */
export interface LiveEvent {
  /** The resume cursor after this event (SSE `id`). */
  cursor: string;
  type: "invocation" | "settlement" | "market";
  data: Record<string, unknown>;
}
