/**
 * Per-request cost of the authenticated path and the paid invoke, in-process (app.inject): SQL
 * statements per call (counted at the driver, transactions' begin/commit included) and CPU ms per
 * call of this process. Not a test and not a benchmark ratio: a measuring tape for changes to
 * identity, catalogue and receipts.
 *
 *   node bin/run-ts.js test/perf/measure.ts [sqlite|postgres] [calls] [--sql] [--trace]
 *     [--prof DIR]
 *
 * --sql counts statements by SQL text; --trace prints the last call's statements in order;
 * --prof writes a CPU profile of each measured loop to DIR.
 *
 * PostgreSQL comes from BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in
 * a fresh schema dropped afterwards. CPU is this process only (not the PostgreSQL server).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { loadConfig } from "../../src/config.ts";
import { type Database, openDatabase } from "../../src/db/db.ts";
import { newId } from "../../src/kernel/ids.ts";
import { createHub } from "../../src/main.ts";

// bin/run-ts.js leaves the script's own path in argv[2].
const args = process.argv.slice(process.argv.findIndex((a) => a.endsWith("measure.ts")) + 1);
const kind = args[0] === "postgres" ? "postgres" : "sqlite";
const calls = Number(args[1] ?? 200);
const showSql = args.includes("--sql");
/** With `--trace`, the statements of the last call are printed in order. */
const trace: string[] | null = args.includes("--trace") ? [] : null;
/** With `--prof DIR`, each measured loop (not start-up, not warm-up) is CPU-profiled into DIR. */
const profDir = args.includes("--prof") ? args[args.indexOf("--prof") + 1] : undefined;
const INVOKE = "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke";

const counted = new Map<string, number>();
/** With `--sql`, ms spent in each statement text (SQLite only). */
const timed = new Map<string, number>();
let statements = 0;
/** Time spent inside better-sqlite3's synchronous statement calls (SQLite only), and in commits. */
let sqlMs = 0;
let commitMs = 0;
function count(text: string) {
  statements++;
  trace?.push(text);
  if (showSql) counted.set(text, (counted.get(text) ?? 0) + 1);
}

// Every statement reaches the driver through one of these.
const probe = new BetterSqlite3(":memory:");
const Statement = Object.getPrototypeOf(probe.prepare("select 1")) as Record<string, unknown>;
probe.close();
for (const m of ["run", "all", "get", "iterate"]) {
  const original = Statement[m] as (...a: unknown[]) => unknown;
  Statement[m] = function (this: { source: string }, ...a: unknown[]) {
    count(this.source);
    const t0 = performance.now();
    try {
      return original.apply(this, a);
    } finally {
      const ms = performance.now() - t0;
      sqlMs += ms;
      if (this.source === "commit") commitMs += ms;
      if (showSql) timed.set(this.source, (timed.get(this.source) ?? 0) + ms);
    }
  };
}
const pgQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
  const q = a[0];
  count(typeof q === "string" ? q : String((q as { text?: string }).text));
  return pgQuery.apply(this, a);
} as typeof pg.Client.prototype.query;

async function open(): Promise<{ db: Database; cleanup: () => Promise<void>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "agx-perf-"));
  if (kind === "sqlite") {
    const db = openDatabase({ kind: "sqlite", file: join(dir, "agx.db") });
    return { db, dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `agx_perf_${process.pid}`;
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

const { db, cleanup, dir } = await open();
const config = loadConfig({
  env: {},
  overrides: { port: 0, log_level: "silent", data_dir: dir, hub_fee_bps: 100, workers: false },
});
const hub = await createHub(config, { database: db });
async function call(method: "GET" | "POST", url: string, key?: string, body?: unknown) {
  const res = await hub.app.inject({
    method,
    url,
    headers: key ? { authorization: `Bearer ${key}` } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}
const admin = hub.first_admin_key as string;
const reg = await call("POST", "/api/agents/register", undefined, { handle: "perf-buyer" });
const buyer = { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
await call("POST", "/api/v1/admin/deposits", admin, {
  id: newId("dep"),
  owner_id: buyer.id,
  amount: "1000",
  asset: "USDC",
});
const body = { input: { text: "Agents trade skills. Machines pay per call." } };

async function measure(name: string, run: () => Promise<{ status: number }>) {
  for (let i = 0; i < 20; i++) await run();
  counted.clear();
  timed.clear();
  statements = 0;
  sqlMs = 0;
  commitMs = 0;
  const session = profDir ? new Session() : null;
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    if (trace) trace.length = 0;
    const r = await run();
    if (r.status !== 200) throw new Error(`${name} answered ${r.status}`);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (session && profDir) {
    const { profile } = await session.post("Profiler.stop");
    const file = join(profDir, `${kind}-${name.replace(/\W+/g, "_")}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
  const line =
    `${kind.padEnd(9)}${name.padEnd(14)}statements/call ${(statements / calls).toFixed(2)}` +
    `  cpu ms/call ${((cpu.user + cpu.system) / 1000 / calls).toFixed(3)}` +
    `  wall ms/call ${(wall / calls).toFixed(3)}` +
    (kind === "sqlite"
      ? `  in sqlite ms/call ${(sqlMs / calls).toFixed(3)} (commit ${(commitMs / calls).toFixed(3)})`
      : "");
  process.stdout.write(`${line}\n`);
  if (trace) for (const t of trace) process.stdout.write(`  > ${t.slice(0, 110)}\n`);
  if (showSql) {
    for (const [text, n] of [...counted].sort((a, b) => b[1] - a[1])) {
      const ms = timed.has(text) ? `${((timed.get(text) ?? 0) / calls).toFixed(3)} ms  ` : "";
      process.stdout.write(`  ${(n / calls).toFixed(2)}  ${ms}${text.slice(0, 140)}\n`);
    }
  }
}

try {
  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n`,
  );
  await measure("GET /me", () => call("GET", "/api/v1/me", buyer.key));
  await measure("invoke", () => call("POST", INVOKE, buyer.key, body));
  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n`,
  );
} finally {
  await hub.close();
  await cleanup();
}
