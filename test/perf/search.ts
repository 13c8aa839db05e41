/**
 * Catalogue search, in-process: the bench's generated catalogue (bench/search-data.ts) loaded
 * through importServices, then the bench's queries as the store's raw full-text query
 * (searchHits) and as `POST /api/v1/market/search` through app.inject (limit 10). Prints p50/p99
 * and CPU ms per call. Not a test and not a benchmark ratio: a measuring tape for the search path.
 *
 *   node bin/run-ts.js test/perf/search.ts [sqlite|postgres] [services] [--passes N]
 *     [--db FILE] [--prof DIR] [--sql] [--explain]
 *
 * --db FILE keeps the SQLite catalogue in FILE and reuses it when it exists (loading 100k takes
 * a while); --prof writes a CPU profile of each measured loop to DIR; --sql times SQLite
 * statements by text; --explain prints PostgreSQL's plans of the scan. PostgreSQL comes from
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a fresh schema
 * dropped afterwards.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import pg from "pg";
import {
  COMPANIES,
  companiesOf,
  queriesOf,
  seeded,
  serviceOf,
  skillsOf,
} from "../../bench/search-data.ts";
import { httpClient, percentile } from "../../bench/support.ts";
import { tokensOf } from "../../src/catalog/index.ts";
import { createSearchRowCache } from "../../src/catalog/search-rows.ts";
import { createTermStats, searchHits } from "../../src/catalog/search-store.ts";
import { loadConfig } from "../../src/config.ts";
import { type Database, openDatabase } from "../../src/db/db.ts";
import { filterOf } from "../../src/http/routes/catalog/services.ts";
import { limits } from "../../src/kernel/limits.ts";
import { createHub } from "../../src/main.ts";

const SEED = 0x5eed_0003;
const BATCH = 5000;

// bin/run-ts.js leaves the script's own path in argv[2].
const args = process.argv.slice(process.argv.findIndex((a) => a.endsWith("search.ts")) + 1);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const kind = args[0] === "postgres" ? "postgres" : "sqlite";
const services = Number(args[1] ?? 100_000);
const passes = Number(option("--passes") ?? 3);
const profDir = option("--prof");
const keepFile = kind === "sqlite" ? option("--db") : undefined;
/** With `--sql`, SQLite statements are timed by text (calls and ms per measured call). */
const sqlTimes: Map<string, { n: number; ms: number; rows: number }> | null = args.includes("--sql")
  ? new Map()
  : null;

if (sqlTimes) {
  // Every statement reaches the driver through one of these.
  const probe = new BetterSqlite3(":memory:");
  const Statement = Object.getPrototypeOf(probe.prepare("select 1")) as Record<string, unknown>;
  probe.close();
  for (const m of ["run", "all", "get", "iterate"]) {
    const original = Statement[m] as (...a: unknown[]) => unknown;
    Statement[m] = function (this: { source: string }, ...a: unknown[]) {
      const t0 = performance.now();
      let result: unknown;
      try {
        result = original.apply(this, a);
        return result;
      } finally {
        const t = sqlTimes.get(this.source) ?? { n: 0, ms: 0, rows: 0 };
        t.n++;
        t.ms += performance.now() - t0;
        if (Array.isArray(result)) t.rows += result.length;
        sqlTimes.set(this.source, t);
      }
    };
  }
}

async function open(): Promise<{ db: Database; cleanup: () => Promise<void>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "agx-perf-search-"));
  if (kind === "sqlite") {
    const db = openDatabase({ kind: "sqlite", file: keepFile ?? join(dir, "agx.db") });
    return { db, dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `agx_perf_search_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = openDatabase({ kind: "postgres", url, schema, pool_size_max: 10 });
  return {
    db,
    dir,
    cleanup: async () => {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const reused = keepFile !== undefined && existsSync(keepFile);
const { db, cleanup, dir } = await open();
// `--pragma "mmap_size = 268435456"` tries a SQLite setting on the hub's connection.
const pragma = option("--pragma");
if (pragma && kind === "sqlite") await sql.raw(`pragma ${pragma}`).execute(db.kysely);
const config = loadConfig({
  env: {},
  overrides: { port: 0, log_level: "silent", data_dir: dir, workers: args.includes("--workers") },
});
const hub = await createHub(config, { database: db });
const { catalog, identity } = hub.ctx;
const rng = seeded(SEED);
const skills = skillsOf(rng);
const companies = companiesOf(rng);

/** The bench's catalogue: its skills, one provider per company, `services` services. */
async function load() {
  const t0 = performance.now();
  const providers = await db.transaction(async (tx) => {
    const owner = await identity.createPrincipal(tx, {
      kind: "agent",
      handle: "perf-skills",
      display_name: "skills",
    });
    for (const s of skills) await catalog.publishSkill(tx, owner.id, s.input);
    const ids: string[] = [];
    for (let i = 0; i < COMPANIES; i++) {
      ids.push(
        (
          await identity.createPrincipal(tx, {
            kind: "agent",
            handle: `perf-p-${i}`,
            display_name: companies[i] as string,
          })
        ).id,
      );
    }
    return ids;
  });
  for (let i = 0; i < services; i += BATCH) {
    const items = Array.from({ length: Math.min(BATCH, services - i) }, (_, j) => {
      const k = Math.floor(rng.next() ** 3 * COMPANIES);
      const input = serviceOf(rng, i + j, rng.skewed(skills), companies[k] as string);
      return { provider_id: providers[k] as string, input };
    });
    await db.transaction((tx) => catalog.importServices(tx, items));
  }
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`loaded ${services} services in ${s.toFixed(1)} s\n`);
  if (db.dialect === "postgres") await sql`analyze`.execute(db.kysely);
}

async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!profDir) return work();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  try {
    return await work();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(profDir, `search-${kind}-${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function measure(name: string, runs: (() => Promise<unknown>)[]) {
  for (const run of runs.slice(0, 25)) await run();
  sqlTimes?.clear();
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  await profiled(name, async () => {
    for (let p = 0; p < passes; p++) {
      for (const run of runs) {
        const t0 = performance.now();
        await run();
        ms.push(performance.now() - t0);
      }
    }
  });
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${kind.padEnd(9)}${name.padEnd(12)}p50 ${percentile(ms, 0.5).toFixed(2)} ms` +
      `  p99 ${percentile(ms, 0.99).toFixed(2)} ms` +
      `  cpu ${((cpu.user + cpu.system) / 1000 / ms.length).toFixed(2)} ms/call\n`,
  );
  for (const [text, t] of [...(sqlTimes ?? [])].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
    process.stdout.write(
      `  ${(t.n / ms.length).toFixed(2)} calls ${(t.ms / ms.length).toFixed(3)} ms ` +
        `${(t.rows / Math.max(1, t.n)).toFixed(0).padStart(4)} rows  ` +
        `${text.replace(/\s+/g, " ").slice(0, 140)}\n`,
    );
  }
}

const CANDIDATES = limits.search_candidates_max;

/** The 200 best of every match of any word as a prefix: the unbounded query decision 0005 ended. */
async function everyMatch(tokens: string[]) {
  if (db.dialect === "sqlite") {
    const match = tokens.map((t) => `"${t}"*`).join(" OR ");
    return sql`select s.service_id, f.rank from (select rowid, bm25(catalog_search_fts) as rank
      from catalog_search_fts where catalog_search_fts match ${match} order by rank
      limit ${CANDIDATES}) f join catalog_search_rows s on s.rid = f.rowid`.execute(db.kysely);
  }
  const tsq = tokens.map((t) => `${t}:*`).join(" | ");
  return sql`select service_id, ts_rank(search_tsv, to_tsquery('simple', ${tsq})) as rank
    from catalog_search_rows where search_tsv @@ to_tsquery('simple', ${tsq})
    order by rank desc limit ${CANDIDATES}`.execute(db.kysely);
}

/** EXPLAIN ANALYZE of the PostgreSQL scan (as the store runs it) for a few queries. */
async function explain() {
  const shapes = [
    ["document", ""],
    ["fast & image & detect", ""],
    ["fast:* | image:* | detect:*", ""],
    ["document", "and s.skill_key = 'geo.route'"],
  ];
  for (const [tsq, where] of shapes) {
    const r = await sql<{ "QUERY PLAN": string }>`explain (analyze, buffers off)
      select service_id, ts_rank(s.tsv, to_tsquery('simple', ${tsq})) as rank
      from (select s.service_id, s.search_tsv as tsv from catalog_search_rows s
        where s.search_tsv @@ to_tsquery('simple', ${tsq}) ${sql.raw(where ?? "")}
        order by s.rid desc limit ${limits.search_scan_max}) s`.execute(db.kysely);
    const plan = r.rows.map((x) => x["QUERY PLAN"]);
    process.stdout.write(`\n${tsq} ${where}\n${plan.join("\n")}\n`);
  }
}

/**
 * With `--phases`, the hub's own calls the search route makes are timed (wall ms per request,
 * nested calls counted inside their callers) while http-10 runs.
 */
function timePhases() {
  const times = new Map<string, number>();
  const targets: [string, Record<string, unknown>, string][] = [
    ["identity.authenticate", hub.ctx.identity as never, "authenticate"],
    ["catalog.search", hub.ctx.catalog as never, "search"],
    ["catalog.quoteAll", hub.ctx.catalog as never, "quoteAll"],
    ["db.transaction", hub.ctx.db as never, "transaction"],
    ["idempotency.complete", hub.ctx.idempotency as never, "complete"],
  ];
  for (const [name, object, key] of targets) {
    const original = object[key] as (...a: unknown[]) => Promise<unknown>;
    object[key] = async (...a: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original.apply(object, a);
      } finally {
        times.set(name, (times.get(name) ?? 0) + performance.now() - t0);
      }
    };
  }
  return {
    print(calls: number) {
      for (const [name, ms] of times)
        process.stdout.write(`  ${name.padEnd(24)}${(ms / calls).toFixed(3)} ms/request\n`);
    },
  };
}

try {
  if (!reused) await load();
  if (kind === "postgres" && args.includes("--explain")) await explain();
  const cases = queriesOf(rng, skills, companies);
  const reg = await hub.app.inject({
    method: "POST",
    url: "/api/agents/register",
    payload: { handle: `perf-searcher-${process.pid}` },
  });
  const key = JSON.parse(reg.body).apiKey as string;
  process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2))}\n`);
  const stats = createTermStats();
  const rows = createSearchRowCache();
  await measure(
    "raw",
    cases.map((c) => {
      const tokens = tokensOf(c.query);
      const filter = filterOf(hub.ctx, c.filters ?? {});
      return () => searchHits(db.kysely, db.dialect, tokens, filter, CANDIDATES, { stats, rows });
    }),
  );
  // The same queries without filters, scored as the store did before decision 0005 (bm25 or
  // ts_rank over every match of any word as a prefix), beside the bounded passes.
  const unfiltered = cases.filter((c) => !c.filters).map((c) => tokensOf(c.query));
  await measure(
    "raw-nofilt",
    unfiltered.map(
      (t) => () => searchHits(db.kysely, db.dialect, t, {}, CANDIDATES, { stats, rows }),
    ),
  );
  await measure(
    "every-match",
    unfiltered.map((t) => () => everyMatch(t)),
  );
  // The endpoint's phases in-process: ranked search (limit 10), then its quotes in one
  // transaction, beside the whole request below.
  const searched = cases.map((c) => ({
    tokens: c.query,
    filter: filterOf(hub.ctx, c.filters ?? {}),
  }));
  await measure(
    "search-10",
    searched.map((c) => () => catalog.search(db.kysely, c.tokens, c.filter, {}, { limit: 10 })),
  );
  const found = await Promise.all(
    searched.map((c) => catalog.search(db.kysely, c.tokens, c.filter, {}, { limit: 10 })),
  );
  await measure(
    "quotes-10",
    found.map(
      (ranked) => () =>
        db.transaction((tx) =>
          catalog.quoteAll(
            tx,
            ranked.map((r) => ({ service: r.service, requester_id: null })),
          ),
        ),
    ),
  );
  const phases = args.includes("--phases") ? timePhases() : null;
  await measure(
    "http-10",
    cases.map((c) => async () => {
      const res = await hub.app.inject({
        method: "POST",
        url: "/api/v1/market/search",
        headers: { authorization: `Bearer ${key}` },
        payload: { ...c, limit: 10 },
      });
      if (res.statusCode !== 200) throw new Error(`search answered ${res.statusCode}: ${res.body}`);
    }),
  );
  if (phases) phases.print(passes * cases.length);
  // The same requests over a kept-alive loopback connection, as the bench sends them.
  const base = await hub.listen();
  const client = httpClient({ connections_max: 1, timeout_ms: 30_000 });
  let bytes = 0;
  await measure(
    "http-net-10",
    cases.map((c) => async () => {
      const res = await client.post(
        `${base}/api/v1/market/search`,
        { authorization: `Bearer ${key}`, "content-type": "application/json" },
        JSON.stringify({ ...c, limit: 10 }),
      );
      if (res.status !== 200) throw new Error(`search answered ${res.status}: ${res.text}`);
      bytes += res.text.length;
    }),
  );
  await measure(
    "raw-again",
    cases.map((c) => {
      const tokens = tokensOf(c.query);
      const filter = filterOf(hub.ctx, c.filters ?? {});
      return () => searchHits(db.kysely, db.dialect, tokens, filter, CANDIDATES, { stats, rows });
    }),
  );
  process.stdout.write(`answers of ${Math.round(bytes / ((passes + 1) * cases.length))} chars\n`);
  client.close();
} finally {
  await hub.close();
  await cleanup();
}
