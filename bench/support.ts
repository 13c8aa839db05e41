/**
 * What every benchmark section shares: the PostgreSQL it may use (a fresh schema per run, dropped
 * afterwards, so tests sharing that database never see it), a throw-away SQLite file, percentiles.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Database, openDatabase } from "../src/db/db.ts";

/** The PostgreSQL the benchmarks use; each section works in a schema of its own. */
export const pgUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export type BenchDatabase = "sqlite" | "postgres";

let reachable: Promise<boolean> | null = null;

/** True when BENCH_DATABASE_URL answers (asked once per run). */
export function pgReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
    try {
      await c.connect();
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return reachable;
}

async function pgAdmin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/**
 * Runs `work` on a throw-away SQLite file, then on a fresh PostgreSQL schema (dropped afterwards,
 * even when `work` fails). PostgreSQL is skipped, with a printed line, when it is not reachable.
 * `dir` is an empty scratch directory (a hub's data_dir) removed afterwards.
 */
export async function onEachDatabase<T>(
  section: string,
  options: { pool_size_max: number },
  work: (name: BenchDatabase, db: Database, dir: string) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  // BENCH_DATABASES=postgres (or sqlite) runs a section on one database only, e.g. to profile it.
  const only = process.env.BENCH_DATABASES?.split(",").map((d) => d.trim());
  if (!only || only.includes("sqlite")) {
    const dir = mkdtempSync(join(tmpdir(), `agx-bench-${section}-`));
    const lite = openDatabase({ kind: "sqlite", file: join(dir, "bench.db") });
    try {
      out.push(await work("sqlite", lite, dir));
    } finally {
      await lite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (only && !only.includes("postgres")) return out;
  if (!(await pgReachable())) {
    process.stdout.write(`PostgreSQL not reachable at ${pgUrl}: ${section} skipped there\n`);
    return out;
  }
  const schema = `agx_bench_${section}_${process.pid}`;
  await pgAdmin(`create schema ${schema}`);
  const db = openDatabase({ kind: "postgres", url: pgUrl, schema, ...options });
  const pgDir = mkdtempSync(join(tmpdir(), `agx-bench-${section}-`));
  try {
    out.push(await work("postgres", db, pgDir));
  } finally {
    await db.close();
    await pgAdmin(`drop schema ${schema} cascade`);
    rmSync(pgDir, { recursive: true, force: true });
  }
  return out;
}

/** The q-quantile (nearest rank) of samples already sorted ascending; NaN when empty. */
export function percentileOfSorted(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** The q-quantile (nearest rank) of unsorted samples. */
export function percentile(samples: readonly number[], q: number): number {
  return percentileOfSorted(
    [...samples].sort((a, b) => a - b),
    q,
  );
}

/** Milliseconds since a `process.hrtime.bigint()` reading. */
export const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** A right-aligned column. */
export const pad = (s: string, n: number) => s.padStart(n);

/** A ratio with two decimals, or "-" when it cannot be computed. */
export const ratioText = (x: number, base: number) =>
  Number.isFinite(x / base) && base > 0 ? (x / base).toFixed(2) : "-";

/**
 * A node:http client with a keep-alive agent. fetch costs about a millisecond more per call on
 * this kind of box, which would be billed to whatever is being timed.
 */
export function httpClient(options: { connections_max: number; timeout_ms: number }) {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.connections_max,
    noDelay: true,
  });
  function post(
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; text: string }> {
    const all = { ...headers, "content-length": String(Buffer.byteLength(body)) };
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: "POST", agent, headers: all, timeout: options.timeout_ms },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer in ${options.timeout_ms} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }
  return { post, close: () => agent.destroy() };
}
