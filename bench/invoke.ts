/**
 * Paid invoke (issue #5): `POST /capabilities/builtin-text-stats-analyze/analyze@v1/invoke` over
 * real HTTP on a listening hub, on SQLite and PostgreSQL, paid on the prepaid rail (a funded key)
 * and on the channel rail (X-Payment-Channel). Each case runs sequentially (one keep-alive
 * connection) and with 50 concurrent connections. The same-run baseline is a bare Fastify 5 app
 * whose one POST route signs one Ed25519 compact JWS, measured the same way. The load comes from a
 * worker thread (its own event loop, node:http with a keep-alive agent), so the client's cost is
 * not billed to the server's thread. A phase stops at its request count or its time limit,
 * whichever comes first, so a slow hub keeps the run short (the table says how many ran). Figures,
 * not assertions: failed calls are counted and shown; only an unverifiable ledger fails the run.
 */
import { generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import Fastify from "fastify";
import { loadConfig } from "../src/config.ts";
import type { Database } from "../src/db/db.ts";
import { newId } from "../src/kernel/ids.ts";
import { createHub, type Hub } from "../src/main.ts";
import { signEdDsaJws } from "../src/receipts/jws.ts";
import {
  type BenchDatabase,
  onEachDatabase,
  pad,
  percentileOfSorted,
  ratioText,
} from "./support.ts";

const INVOKE = "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke";
const CONNECTIONS = 50;
const SEQUENTIAL_AT_SCALE_1 = 2000;
const CONCURRENT_AT_SCALE_1 = 5000;
/** A measured phase starts no request after this age; each warm-up after a quarter of it. */
const PHASE_SECONDS_MAX = 5;
/** Under 1000 characters, so every call costs the operation's minimum (1000 minor units). */
const BODY = JSON.stringify({
  input: { text: "Agents trade skills. Machines pay per call, and every call leaves a receipt." },
});
const PRICE_MINOR = 1000n;
const TARGETS = { sqlite: 0.5, postgres: 0.35, p99_ms: 20 } as const;

/** One measured phase, as the client saw it and as busy as the server's event loop was. */
export interface LoadPhase {
  requests: number;
  /** Answers that were not a 200 with the expected body (or no answer at all). */
  errors: number;
  /** The first such answer, shortened. */
  first_error: string | null;
  /** Good answers per second. */
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** Event-loop utilisation of the client worker (near 1: the client limits the figure). */
  client_busy: number;
  /** Event-loop utilisation of the server's thread (near 1: the server is CPU-bound). */
  server_busy: number;
}

export interface InvokeRow {
  database: BenchDatabase;
  rail: "baseline" | "prepaid" | "channel";
  sequential: LoadPhase;
  concurrent: LoadPhase;
}

interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A substring every 200 answer must contain, so a 200 that did no work is not counted. */
  expect: string;
  sequential: number;
  concurrent: number;
  warmup: number;
  /** A phase starts no request after this age (warm-ups: a quarter): a slow hub stays bounded. */
  phase_seconds_max: number;
}

// Plain JavaScript, evaluated in the worker: no loader there, and nothing of agx is needed. The
// client is node:http with a keep-alive agent rather than fetch: on this 2-core box fetch topped
// out near 1k req/s on a trivial server (client loop 100% busy) where node:http did ~10k, and a
// client-bound baseline would flatter every ratio.
const CLIENT = `
const { parentPort, workerData: w } = require("node:worker_threads");
const { performance } = require("node:perf_hooks");
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: w.connections, noDelay: true });
const headers = { ...w.headers, "content-length": String(Buffer.byteLength(w.body)) };
function post() {
  return new Promise((resolve, reject) => {
    const req = http.request(w.url, { method: "POST", agent, headers, timeout: 60000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => { text += c; });
      res.on("end", () => resolve({ status: res.statusCode, text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 60 s")));
    req.on("error", reject);
    req.end(w.body);
  });
}
async function once() {
  const t0 = performance.now();
  try {
    const { status, text } = await post();
    const ok = status === 200 && text.includes(w.expect);
    return { ms: performance.now() - t0, error: ok ? null : "answered " + status + ": " + text };
  } catch (e) {
    return { ms: performance.now() - t0, error: String((e && e.message) || e) };
  }
}
async function phase(name, total, connections, seconds_max) {
  const ms = [];
  let started = 0;
  let errors = 0;
  let first_error = null;
  parentPort.postMessage({ mark: name });
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  const deadline = t0 + seconds_max * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (started < total && performance.now() < deadline) {
      started++;
      const r = await once();
      ms.push(r.ms);
      if (r.error !== null) { errors++; first_error = first_error || r.error.slice(0, 300); }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const busy = performance.eventLoopUtilization(elu).utilization;
  parentPort.postMessage({ mark: name + ":end" });
  return { requests: ms.length, errors, first_error, seconds, ms, client_busy: busy };
}
(async () => {
  await phase("warmup", w.warmup, 1, w.phase_seconds_max / 4);
  await phase("warmup", w.warmup, w.connections, w.phase_seconds_max / 4);
  const sequential = await phase("sequential", w.sequential, 1, w.phase_seconds_max);
  const concurrent = await phase("concurrent", w.concurrent, w.connections, w.phase_seconds_max);
  agent.destroy();
  parentPort.postMessage({ done: { sequential, concurrent } });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

interface ClientPhase {
  requests: number;
  errors: number;
  first_error: string | null;
  seconds: number;
  ms: number[];
  client_busy: number;
}

function phaseOf(c: ClientPhase, server_busy: number): LoadPhase {
  const sorted = [...c.ms].sort((a, b) => a - b);
  return {
    requests: c.requests,
    errors: c.errors,
    first_error: c.first_error,
    rps: (c.requests - c.errors) / c.seconds,
    p50_ms: percentileOfSorted(sorted, 0.5),
    p99_ms: percentileOfSorted(sorted, 0.99),
    client_busy: c.client_busy,
    server_busy,
  };
}

/** Runs the warm-up, sequential and concurrent phases from a worker; this thread serves. */
function load(spec: LoadSpec): Promise<{ sequential: LoadPhase; concurrent: LoadPhase }> {
  const worker = new Worker(CLIENT, {
    eval: true,
    workerData: { ...spec, connections: CONNECTIONS },
  });
  const busy: Record<string, number> = {};
  let since = performance.eventLoopUtilization();
  return new Promise((resolve, reject) => {
    worker.on(
      "message",
      (m: { mark?: string; done?: Record<string, ClientPhase>; error?: string }) => {
        if (m.mark?.endsWith(":end")) {
          busy[m.mark.slice(0, -4)] = performance.eventLoopUtilization(since).utilization;
        } else if (m.mark) {
          since = performance.eventLoopUtilization();
        } else if (m.error) {
          reject(new Error(`load on ${spec.url}: ${m.error}`));
        } else if (m.done?.sequential && m.done.concurrent) {
          resolve({
            sequential: phaseOf(m.done.sequential, busy.sequential ?? Number.NaN),
            concurrent: phaseOf(m.done.concurrent, busy.concurrent ?? Number.NaN),
          });
        }
        if (m.done || m.error) void worker.terminate();
      },
    );
    worker.once("error", reject);
  });
}

/** The baseline server: bare Fastify, one route, one Ed25519 compact JWS per request. */
async function startBaseline() {
  const { privateKey } = generateKeyPairSync("ed25519");
  const app = Fastify({ logger: false });
  const header = { alg: "EdDSA", typ: "agx-bench+jwt", kid: "bench" };
  app.post("/sign", async (request) => {
    const payload = { jti: newId("rcpt"), iat: Math.floor(Date.now() / 1000), body: request.body };
    return { jws: signEdDsaJws(header, Buffer.from(JSON.stringify(payload)), privateKey) };
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/sign`, close: () => app.close() };
}

async function call(
  base: string,
  path: string,
  o: { method?: string; key?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  const res = await fetch(`${base}${path}`, {
    method: o.method ?? "POST",
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

/** The value at `path` in a parsed JSON answer, or undefined. */
function at(body: unknown, ...path: string[]): unknown {
  let v = body;
  for (const k of path) {
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  }
  return v;
}

function must<T extends { status: number; body: unknown }>(what: string, r: T, status: number): T {
  if (r.status !== status)
    throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r;
}

/** A buyer with enough money for every call, and a channel deep enough for the channel rail. */
async function fundBuyer(base: string, adminKey: string, calls: number) {
  const reg = must(
    "register",
    await call(base, "/api/agents/register", { body: { handle: "bench-invoker" } }),
    201,
  );
  const buyer = { id: String(at(reg.body, "agent", "id")), key: String(at(reg.body, "apiKey")) };
  const perRail = (BigInt(calls) * PRICE_MINOR * 2n) / 1_000_000n + 1n;
  must(
    "deposit",
    await call(base, "/api/v1/admin/deposits", {
      key: adminKey,
      body: { id: newId("dep"), owner_id: buyer.id, amount: String(perRail * 3n), asset: "USDC" },
    }),
    201,
  );
  const opened = must(
    "channel open",
    await call(base, "/ai-market/channel/open", {
      key: buyer.key,
      body: { deposit: String(perRail) },
    }),
    201,
  );
  return { ...buyer, channel_id: String(at(opened.body, "channel", "channel_id")) };
}

async function verifyLedger(base: string, adminKey: string, database: string) {
  const v = await call(base, "/api/v1/admin/ledger/verify", { method: "GET", key: adminKey });
  const failures = at(v.body, "failures");
  if (
    v.status !== 200 ||
    at(v.body, "ok") !== true ||
    !Array.isArray(failures) ||
    failures.length
  ) {
    throw new Error(
      `the ledger did not verify after the invoke benchmark on ${database}: ` +
        JSON.stringify(v.body),
    );
  }
}

async function benchOn(
  database: InvokeRow["database"],
  db: Database,
  dir: string,
  counts: Pick<LoadSpec, "sequential" | "concurrent" | "warmup" | "phase_seconds_max">,
): Promise<InvokeRow[]> {
  const config = loadConfig({
    env: {},
    overrides: { port: 0, log_level: "silent", data_dir: dir, hub_fee_bps: 100 },
  });
  const hub: Hub = await createHub(config, { database: db });
  const baseline = await startBaseline();
  try {
    const base = await hub.listen();
    const adminKey = hub.first_admin_key;
    if (!adminKey) throw new Error("a fresh hub must print its first admin key");
    const calls = counts.sequential + counts.concurrent + counts.warmup * 2;
    const buyer = await fundBuyer(base, adminKey, calls);
    const json = { "content-type": "application/json" };
    const paid = { ...json, authorization: `Bearer ${buyer.key}` };
    const rails = [
      { rail: "baseline", url: baseline.url, headers: json, expect: '"jws":"' },
      { rail: "prepaid", url: `${base}${INVOKE}`, headers: paid, expect: '"success":true' },
      {
        rail: "channel",
        url: `${base}${INVOKE}`,
        headers: { ...paid, "x-payment-channel": buyer.channel_id },
        expect: '"success":true',
      },
    ] as const;
    const rows: InvokeRow[] = [];
    for (const r of rails) {
      const measured = await load({ ...r, body: BODY, ...counts });
      rows.push({ database, rail: r.rail, ...measured });
    }
    await verifyLedger(base, adminKey, database);
    return rows;
  } finally {
    await baseline.close();
    await hub.close();
  }
}

/** Paid invoke throughput and latency on both databases beside the bare Fastify + JWS baseline. */
export async function benchInvoke(scale: number): Promise<InvokeRow[]> {
  const counts = {
    sequential: Math.max(50, Math.round(SEQUENTIAL_AT_SCALE_1 * scale)),
    concurrent: Math.max(CONNECTIONS * 2, Math.round(CONCURRENT_AT_SCALE_1 * scale)),
    warmup: Math.max(20, Math.round(200 * Math.min(1, scale))),
    phase_seconds_max: PHASE_SECONDS_MAX,
  };
  // The pool a hub opens from DATABASE_URL (databaseTargetOf sets no size): the default 10.
  const rows = await onEachDatabase("invoke", { pool_size_max: 10 }, (name, db, dir) =>
    benchOn(name, db, dir, counts),
  );
  return rows.flat();
}

const pct = (x: number) => (Number.isNaN(x) ? "-" : `${Math.round(x * 100)}%`);

/** The table of benchInvoke's rows: rates, ratios to the baseline, latencies and the targets. */
export function invokeTable(rows: InvokeRow[]): string {
  const lines = [
    "\npaid invoke over HTTP vs bare Fastify + one Ed25519 JWS (same database, same run)\n",
    `${"database".padEnd(10)}${"rail".padEnd(10)}${"mode".padEnd(12)}${pad("n", 6)}` +
      `${pad("err", 5)}${pad("req/s", 8)}${pad("ratio", 7)}${pad("target", 8)}` +
      `${pad("p50 ms", 10)}` +
      `${pad("p99 ms", 10)}${pad("target", 8)}${pad("server", 8)}${pad("client", 8)}`,
  ];
  const errors: string[] = [];
  for (const r of rows) {
    const base = rows.find((b) => b.database === r.database && b.rail === "baseline");
    for (const mode of ["sequential", "concurrent"] as const) {
      const p = r[mode];
      const ratio = r.rail === "baseline" || !base ? "-" : ratioText(p.rps, base[mode].rps);
      if (p.first_error) errors.push(`${r.database} ${r.rail} ${mode}: ${p.first_error}`);
      const target = r.rail === "baseline" ? "-" : `≥ ${TARGETS[r.database].toFixed(2)}`;
      const p99Target =
        mode === "concurrent" && r.rail !== "baseline" ? `≤ ${TARGETS.p99_ms}` : "-";
      lines.push(
        `${r.database.padEnd(10)}${r.rail.padEnd(10)}` +
          `${(mode === "sequential" ? "sequential" : `${CONNECTIONS} conns`).padEnd(12)}` +
          `${pad(String(p.requests), 6)}${pad(String(p.errors), 5)}` +
          `${pad(Math.round(p.rps).toString(), 8)}` +
          `${pad(ratio, 7)}${pad(target, 8)}${pad(p.p50_ms.toFixed(2), 10)}` +
          `${pad(p.p99_ms.toFixed(2), 10)}${pad(p99Target, 8)}` +
          `${pad(pct(p.server_busy), 8)}${pad(pct(p.client_busy), 8)}`,
      );
    }
  }
  lines.push(
    "",
    "ratio = invoke req/s / baseline req/s in the same mode. Targets of issue #5 (embedded ≥ 0.5×,",
    `PostgreSQL ≥ 0.35×, p99 ≤ ${TARGETS.p99_ms} ms at ${CONNECTIONS} connections) are printed, ` +
      "not asserted; with",
    `${CONNECTIONS} closed-loop connections p50 ≈ ${CONNECTIONS} / req/s, so the p99 target needs ` +
      `≥ ${(CONNECTIONS * 1000) / TARGETS.p99_ms} req/s.`,
    "server / client = event-loop utilisation of the serving thread and of the load worker.",
    "err = calls that did not answer 200 with a result (not counted in req/s); n = calls made:",
    `a phase stops at its count or after ${PHASE_SECONDS_MAX} s, whichever comes first.`,
    ...errors.map((e) => `first failure, ${e}`),
    "",
  );
  return lines.join("\n");
}
