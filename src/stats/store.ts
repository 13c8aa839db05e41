import { sql } from "kysely";
import { big, type Executor, num, numOrNull } from "../db/db.ts";
import { statsLimits as L } from "./limits.ts";
import type { AssetTotal, Counts, ServiceHealth, ServiceRecord, TopService } from "./model.ts";

/*
 * The only file with SQL of the stats read model. It reads other modules' tables and never
 * writes them; it writes only stats_service_health and stats_refreshes.
 */

type Int = number | bigint | string;

async function rows<T>(ex: Executor, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  return (await query.execute(ex)).rows;
}

/** Counts per value of one column of a table (names are constants of this file, never input). */
async function countBy(
  ex: Executor,
  table: "identity_principals" | "orders" | "order_runs" | "market_orders",
  column: "kind" | "status",
): Promise<Counts> {
  const out: Counts = {};
  const found = await rows<{ k: string; n: Int }>(
    ex,
    sql`select ${sql.ref(column)} as k, count(*) as n from ${sql.table(table)} group by ${sql.ref(column)}`,
  );
  for (const r of found) out[r.k] = num(r.n);
  return out;
}

/** All-time counts of the floor. */
export async function floorCounts(ex: Executor) {
  const [principals, orders, invocations, market_orders] = [
    await countBy(ex, "identity_principals", "kind"),
    await countBy(ex, "orders", "status"),
    await countBy(ex, "order_runs", "status"),
    await countBy(ex, "market_orders", "status"),
  ];
  const [services] = await rows<{ n: Int }>(
    ex,
    sql`select count(*) as n from catalog_services where latest = 1 and status = 'active'`,
  );
  const [receipts] = await rows<{ n: Int }>(ex, sql`select count(*) as n from receipts`);
  return {
    principals,
    orders,
    invocations,
    market_orders,
    services_active: num(services?.n),
    receipts: num(receipts?.n),
  };
}

/** Ended payments by status, and what settled ones moved, per asset. */
export async function settlements(ex: Executor): Promise<{ counts: Counts; spend: AssetTotal[] }> {
  const found = await rows<{ status: string; asset: string; n: Int; total: Int | null }>(
    ex,
    sql`select status, asset, count(*) as n, sum(amount_minor) as total from order_payments
        where status in ('released', 'refunded') group by status, asset order by asset`,
  );
  const counts: Counts = {};
  const spend: AssetTotal[] = [];
  for (const r of found) {
    counts[r.status] = (counts[r.status] ?? 0) + num(r.n);
    if (r.status === "released") {
      spend.push({ asset: r.asset, amount_minor: big(r.total), count: num(r.n) });
    }
  }
  return { counts, spend };
}

/** Runs by status since a time, and the busiest services then (by service name). */
export async function recentWindow(ex: Executor, since_ms: number) {
  const invocations: Counts = {};
  const byStatus = await rows<{ status: string; n: Int }>(
    ex,
    sql`select status, count(*) as n from order_runs where started_at_ms >= ${since_ms}
        group by status`,
  );
  for (const r of byStatus) invocations[r.status] = num(r.n);
  const top = await rows<{ service: string; skill_key: string; n: Int; ok: Int; bad: Int }>(
    ex,
    sql`select s.name as service, min(r.skill_key) as skill_key, count(*) as n,
          sum(case when r.status = 'succeeded' then 1 else 0 end) as ok,
          sum(case when r.status = 'failed' then 1 else 0 end) as bad
        from order_runs r join catalog_services s on s.id = r.service_id
        where r.started_at_ms >= ${since_ms}
        group by s.name order by count(*) desc, s.name limit ${L.top_services_max}`,
  );
  const top_services: TopService[] = top.map((r) => ({
    service: r.service,
    skill_key: r.skill_key,
    invocations: num(r.n),
    succeeded: num(r.ok),
    failed: num(r.bad),
    error_rate: rateOf(num(r.bad), num(r.ok) + num(r.bad)),
  }));
  return { invocations, top_services };
}

/** part / whole rounded to 4 places, or null when whole is 0. */
export function rateOf(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

/**
 * Claims the health refresh for this process: a guarded update that one process wins per
 * interval (`force` ignores the interval). False when another did it recently.
 */
export async function claimHealthRefresh(ex: Executor, now_ms: number, force: boolean) {
  // A tenth of slack, so a task ticking every interval does not miss every other claim.
  const due_before_ms = force ? now_ms + 1 : now_ms - L.health_refresh_interval_ms * 0.9;
  const r = await sql`update stats_refreshes set refreshed_at_ms = ${now_ms}
      where name = 'health' and refreshed_at_ms < ${due_before_ms}`.execute(ex);
  return Number(r.numAffectedRows ?? 0n) === 1;
}

/** Per service name: finished runs since a time, and the median latency of successful ones. */
export async function computeHealth(ex: Executor, since_ms: number) {
  const counts = await rows<{ service: string; n: Int; ok: Int; bad: Int }>(
    ex,
    sql`select s.name as service, count(*) as n,
          sum(case when r.status = 'succeeded' then 1 else 0 end) as ok,
          sum(case when r.status = 'failed' then 1 else 0 end) as bad
        from order_runs r join catalog_services s on s.id = r.service_id
        where r.started_at_ms >= ${since_ms} and r.status <> 'running'
        group by s.name order by count(*) desc limit ${L.health_services_max}`,
  );
  // The lower median via window functions, which SQLite (3.25+) and PostgreSQL both have.
  const medians = await rows<{ service: string; latency_ms: Int }>(
    ex,
    sql`select service, latency_ms from (
          select s.name as service, r.latency_ms,
            row_number() over (partition by s.name order by r.latency_ms) as rn,
            count(*) over (partition by s.name) as n
          from order_runs r join catalog_services s on s.id = r.service_id
          where r.started_at_ms >= ${since_ms} and r.status = 'succeeded'
            and r.latency_ms is not null) x
        where rn = (n + 1) / 2`,
  );
  const p50 = new Map(medians.map((m) => [m.service, num(m.latency_ms)]));
  return counts.map((c) => ({
    service: c.service,
    runs: num(c.n),
    succeeded: num(c.ok),
    failed: num(c.bad),
    p50_latency_ms: p50.get(c.service) ?? null,
  }));
}

/** Replaces the health summary with a fresh computation, in the caller's transaction. */
export async function replaceHealth(
  ex: Executor,
  items: Awaited<ReturnType<typeof computeHealth>>,
  window_start_ms: number,
  now_ms: number,
): Promise<void> {
  await sql`delete from stats_service_health`.execute(ex);
  for (let i = 0; i < items.length; i += L.health_insert_batch_max) {
    const batch = items.slice(i, i + L.health_insert_batch_max);
    await ex
      .insertInto("stats_service_health")
      .values(batch.map((h) => ({ ...h, window_start_ms, refreshed_at_ms: now_ms })))
      .execute();
  }
}

/** The summarised health of the named services (absent when they had no finished run). */
export async function healthOf(ex: Executor, names: string[]): Promise<ServiceHealth[]> {
  if (names.length === 0) return [];
  const found = await ex
    .selectFrom("stats_service_health")
    .select(["service", "runs", "succeeded", "failed", "p50_latency_ms"])
    .where("service", "in", names)
    .execute();
  return found.map((r: Record<string, Int | null>) => {
    const runs = num(r.runs);
    const enough = runs >= L.health_runs_min;
    return {
      service: String(r.service),
      runs,
      succeeded: num(r.succeeded),
      failed: num(r.failed),
      success_rate: enough ? rateOf(num(r.succeeded), runs) : null,
      p50_latency_ms: enough ? numOrNull(r.p50_latency_ms) : null,
    };
  });
}

/**
 * One provider's service (every version of its name) since a time: runs by status, the
 * latencies of successful runs at the 50th and 95th percentile (nearest rank), and what settled
 * orders paid per asset, with the hub's fee.
 */
export async function serviceRecord(
  ex: Executor,
  service: { name: string; provider_id: string },
  since_ms: number,
): Promise<ServiceRecord> {
  const versions = sql`select id from catalog_services
    where name = ${service.name} and provider_id = ${service.provider_id}`;
  const byStatus = await rows<{ status: string; n: Int }>(
    ex,
    sql`select status, count(*) as n from order_runs
        where service_id in (${versions}) and started_at_ms >= ${since_ms} group by status`,
  );
  const runs: Counts = {};
  for (const r of byStatus) runs[r.status] = num(r.n);
  const ranked = await rows<{ rn: Int; n: Int; latency_ms: Int }>(
    ex,
    sql`select rn, n, latency_ms from (
          select latency_ms, row_number() over (order by latency_ms) as rn, count(*) over () as n
          from order_runs
          where service_id in (${versions}) and started_at_ms >= ${since_ms}
            and status = 'succeeded' and latency_ms is not null) x
        where rn = (n * 50 + 99) / 100 or rn = (n * 95 + 99) / 100`,
  );
  const samples = num(ranked[0]?.n);
  const at = (p: number) => {
    const rank = Math.ceil((samples * p) / 100);
    const hit = ranked.find((r) => num(r.rn) === rank);
    return hit ? num(hit.latency_ms) : null;
  };
  const paid = await rows<{ asset: string; n: Int; gross: Int | null; fee: Int | null }>(
    ex,
    sql`select o.asset, count(*) as n, sum(o.amount_minor) as gross, sum(o.fee_minor) as fee
        from orders o join order_payments p on p.order_id = o.id
        where o.service_id in (${versions}) and o.created_at_ms >= ${since_ms}
          and p.status = 'released'
        group by o.asset order by o.asset`,
  );
  return {
    runs,
    latency: { samples, p50_ms: at(50), p95_ms: at(95) },
    revenue: paid.map((r) => ({
      asset: r.asset,
      settled_orders: num(r.n),
      gross_minor: big(r.gross),
      fee_minor: big(r.fee),
    })),
  };
}
