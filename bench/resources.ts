/**
 * Resource figures (issue #12, item 8): start-up time to ready, idle RSS, and RSS under the
 * paid-invoke load, of a real `agx serve` process on SQLite (fresh data directory, so the
 * migrations run) and on PostgreSQL (fresh schema). The same-run baseline is a bare Fastify 5
 * process with one route, started and measured the same way: what Node and the web framework
 * cost before agx adds anything. RSS is read from /proc/<pid>/status (VmRSS, VmHWM), so the
 * section needs Linux; elsewhere it prints a line and no rows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { newId } from "../src/kernel/ids.ts";
import { type BenchDatabase, httpClient, pad, pgReachable, pgUrl, ratioText } from "./support.ts";

const BIN = new URL("../bin/agx.js", import.meta.url).pathname;
const INVOKE = "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke";
const BODY = JSON.stringify({
  input: { text: "Machines pay per call; every call leaves a receipt." },
});
const CONNECTIONS = 50;
const LOAD_CALLS_AT_SCALE_1 = 3000;
/** The load stops starting calls after this many seconds, so a slow hub keeps the run short. */
const LOAD_SECONDS_MAX = 20;
/** How long a process idles after ready before its idle RSS is read. */
const IDLE_SETTLE_MS = 2_000;
const READY_TIMEOUT_MS = 60_000;

// The baseline: Node + Fastify 5 with one JSON route, nothing else. Plain ESM so no loader runs.
const BARE_FASTIFY = `
import Fastify from "fastify";
const app = Fastify({ logger: false });
app.get("/ready", async () => ({ status: "ready" }));
const url = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write("listening on " + url + "\\n");
`;

export interface ResourcesRow {
  database: BenchDatabase | "-";
  process: "agx" | "bare-fastify";
  /** Spawn to the first 200 from GET /ready. */
  ready_ms: number;
  idle_rss_mib: number;
  /** Peak RSS (VmHWM) after the paid-invoke load; NaN for the baseline, which has no such load. */
  load_rss_mib: number;
  load_calls: number;
  load_errors: number;
}

interface Started {
  child: ChildProcess;
  url: string;
  ready_ms: number;
  out: () => string;
}

function procStatusKib(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]);
}

const mib = (kib: number) => kib / 1024;

async function startProcess(args: string[], env: Record<string, string>): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", AGX_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: new URL("..", import.meta.url).pathname,
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    err += String(d);
  });
  const deadline = t0 + READY_TIMEOUT_MS;
  let url = "";
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err.slice(0, 500)}`);
    url ||= /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? "";
    if (url) {
      const ok = await fetch(`${url}/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return { child, url, ready_ms: performance.now() - t0, out: () => out };
    }
    await sleep(5);
  }
  child.kill("SIGKILL");
  throw new Error(`not ready in ${READY_TIMEOUT_MS} ms: ${err.slice(0, 500)}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000).then(() => child.kill("SIGKILL"))]);
}

async function postJson(url: string, body: unknown, key?: string) {
  const r = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (r.status >= 300) throw new Error(`${url} answered ${r.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Registers a buyer, funds it through the operator key, and runs paid invokes on 50 sockets. */
async function paidLoad(base: string, adminKey: string, calls: number) {
  const reg = await postJson(`${base}/api/agents/register`, { handle: `res-${process.pid}` });
  const agent = reg.agent as { id: string };
  const key = String(reg.apiKey);
  await postJson(
    `${base}/api/v1/admin/deposits`,
    { id: newId("dep"), owner_id: agent.id, amount: String(calls), asset: "USDC" },
    adminKey,
  );
  const client = httpClient({ connections_max: CONNECTIONS, timeout_ms: 60_000 });
  const headers = { "content-type": "application/json", authorization: `Bearer ${key}` };
  let started = 0;
  let errors = 0;
  const deadline = performance.now() + LOAD_SECONDS_MAX * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (started < calls && performance.now() < deadline) {
        started++;
        const r = await client.post(`${base}${INVOKE}`, headers, BODY).catch(() => null);
        if (r?.status !== 200) errors++;
      }
    }),
  );
  client.close();
  return { calls: started, errors };
}

async function measureAgx(
  database: BenchDatabase,
  env: Record<string, string>,
  calls: number,
): Promise<ResourcesRow> {
  const dir = mkdtempSync(join(tmpdir(), "agx-bench-resources-"));
  const s = await startProcess([BIN, "serve", "--port", "0", "--data-dir", dir], env);
  try {
    const pid = s.child.pid as number;
    const adminKey = /sk_agx_\S+/.exec(s.out())?.[0];
    if (!adminKey) throw new Error("a fresh hub must print its first admin key");
    await sleep(IDLE_SETTLE_MS);
    const idle = procStatusKib(pid, "VmRSS");
    const load = await paidLoad(s.url, adminKey, calls);
    return {
      database,
      process: "agx",
      ready_ms: s.ready_ms,
      idle_rss_mib: mib(idle),
      load_rss_mib: mib(procStatusKib(pid, "VmHWM")),
      load_calls: load.calls,
      load_errors: load.errors,
    };
  } finally {
    await stop(s.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureBare(): Promise<ResourcesRow> {
  const s = await startProcess(["--input-type=module", "-e", BARE_FASTIFY], {});
  try {
    await sleep(IDLE_SETTLE_MS);
    const idle = procStatusKib(s.child.pid as number, "VmRSS");
    return {
      database: "-",
      process: "bare-fastify",
      ready_ms: s.ready_ms,
      idle_rss_mib: mib(idle),
      load_rss_mib: Number.NaN,
      load_calls: 0,
      load_errors: 0,
    };
  } finally {
    await stop(s.child);
  }
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

/** Start-up, idle and loaded memory of agx on both databases beside a bare Fastify process. */
export async function benchResources(scale: number): Promise<ResourcesRow[]> {
  if (!existsSync("/proc/self/status")) {
    process.stdout.write("resources: no /proc here (not Linux): section skipped\n");
    return [];
  }
  const calls = Math.max(200, Math.round(LOAD_CALLS_AT_SCALE_1 * scale));
  const rows = [await measureBare(), await measureAgx("sqlite", {}, calls)];
  if (!(await pgReachable())) {
    process.stdout.write(`PostgreSQL not reachable at ${pgUrl}: resources skipped there\n`);
    return rows;
  }
  const schema = `agx_bench_resources_${process.pid}`;
  await pgAdmin(`create schema ${schema}`);
  try {
    rows.push(await measureAgx("postgres", { DATABASE_URL: pgUrl, AGX_DB_SCHEMA: schema }, calls));
  } finally {
    await pgAdmin(`drop schema ${schema} cascade`);
  }
  return rows;
}

/** The table of benchResources' rows, ratios against the bare Fastify process. */
export function resourcesTable(rows: ResourcesRow[]): string {
  const bare = rows.find((r) => r.process === "bare-fastify");
  const lines = [
    "\nresources: a real `agx serve` process vs a bare Fastify process (same run)\n",
    `${"database".padEnd(10)}${"process".padEnd(14)}${pad("ready ms", 10)}${pad("×", 6)}` +
      `${pad("idle MiB", 10)}${pad("×", 6)}${pad("load MiB", 10)}${pad("calls", 7)}` +
      `${pad("err", 5)}`,
  ];
  for (const r of rows) {
    const base = r.process === "agx" && bare;
    lines.push(
      `${r.database.padEnd(10)}${r.process.padEnd(14)}${pad(r.ready_ms.toFixed(0), 10)}` +
        `${pad(base ? ratioText(r.ready_ms, bare.ready_ms) : "-", 6)}` +
        `${pad(r.idle_rss_mib.toFixed(1), 10)}` +
        `${pad(base ? ratioText(r.idle_rss_mib, bare.idle_rss_mib) : "-", 6)}` +
        `${pad(Number.isNaN(r.load_rss_mib) ? "-" : r.load_rss_mib.toFixed(1), 10)}` +
        `${pad(String(r.load_calls), 7)}${pad(String(r.load_errors), 5)}`,
    );
  }
  lines.push(
    "",
    "ready ms = spawn to the first 200 from GET /ready (agx: a TypeScript loader start, fresh",
    "database, migrations). idle MiB = VmRSS 2 s after ready. load MiB = peak RSS (VmHWM) after",
    `paid invokes on ${CONNECTIONS} connections (prepaid rail, at most ${LOAD_SECONDS_MAX} s).`,
    "× = agx / bare Fastify.",
    "",
  );
  return lines.join("\n");
}
