import { type CheckResult, checkRun } from "./crash-checks.ts";
import { Ledgerbook, runClient } from "./crash-scenarios.ts";
import { createStore, HubNode, newAdminKey, openReader } from "./support/cluster.ts";
import { Api, mainArgs } from "./support/ops.ts";
import { buildWorld } from "./support/ops-world.ts";

/**
 * Crash and concurrency harness (issue 12, item 1): C clients send N money writes (deposits,
 * holds/posts/voids, prepaid/escrow/channel purchases, refunds, cancels, market escrow, purchases
 * by a paired agent, two-step AIMP pipelines) to real agx processes, which are SIGKILLed K times at random moments and
 * restarted on the same database. Each client retries unanswered writes with the same
 * Idempotency-Key; afterwards the rows must show every acknowledged write exactly once.
 *
 *   npm run stress:crash -- [ops] [clients] [kills] [sqlite|postgres|both] [nodes]
 *   (or STRESS_OPS, STRESS_CLIENTS, STRESS_KILLS, STRESS_STORE, STRESS_NODES)
 */

export interface CrashOptions {
  store: "sqlite" | "postgres";
  /** Writes to send (the budget; scenarios of several writes are counted whole). */
  ops: number;
  clients: number;
  kills: number;
  /** Hub processes sharing the database (PostgreSQL only above 1), called round robin. */
  nodes?: number;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** PostgreSQL server (a fresh schema is made on it); default TEST_DATABASE_URL. */
  pg_url?: string;
  log?: (line: string) => void;
}

export interface CrashReport extends CheckResult {
  store: string;
  nodes: number;
  ops_sent: number;
  scenarios: number;
  kills: number;
  restarts: number;
  retries: number;
  duration_ms: number;
  writes_per_s: number;
  /** Requests served per node (round robin spreads them). */
  served: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the harness once and returns its figures and failures (it does not throw on them). */
export async function runCrash(o: CrashOptions): Promise<CrashReport> {
  const log = o.log ?? (() => {});
  const nodesN = o.nodes ?? 1;
  const { store, drop } = await createStore(o.store, o.pg_url);
  const admin = newAdminKey();
  // Short leases: a pipeline whose runner was killed is taken over within seconds.
  const env = { AGX_IDEMPOTENCY_LOCK_MS: "5000", AGX_PIPELINE_LEASE_MS: "2000", ...o.env };
  const nodes = Array.from({ length: nodesN }, () => new HubNode({ store, admin_key: admin, env }));
  try {
    // One node migrates first; the others start on the migrated database.
    await nodes[0]?.start();
    await Promise.all(nodes.slice(1).map((n) => n.start()));
    const api = new Api(() => nodes.filter((n) => n.running).map((n) => n.url));
    const world = await buildWorld(api, admin, {
      clients: o.clients,
      buyer_funds: "1",
      budget: "0.2",
    });
    log(`world ready (run ${world.run}); ${o.clients} clients, ${o.ops} writes, ${o.kills} kills`);
    const book = new Ledgerbook(o.ops);
    const started = Date.now();
    let kills = 0;
    let finished = false;
    const killer = (async () => {
      for (let k = 1; k <= o.kills; k++) {
        // Spread over the run: the k-th kill lands somewhere in the k-th slice of the writes.
        const at = Math.floor(((k - 0.9 + Math.random() * 0.7) / o.kills) * o.ops);
        while (book.done < at && !finished) await sleep(5 + Math.random() * 20);
        if (finished) break;
        const victim = nodes[Math.floor(Math.random() * nodes.length)] as HubNode;
        await victim.kill();
        kills++;
        log(`kill ${kills}/${o.kills} at ${book.done} writes`);
        await sleep(Math.random() * 300);
        await victim.start();
      }
    })();
    await Promise.all(Array.from({ length: o.clients }, (_, c) => runClient(api, world, book, c)));
    finished = true;
    await killer;
    const duration_ms = Date.now() - started;
    log(`writes done in ${duration_ms} ms; waiting for interrupted orders to be recovered`);
    const reader = await openReader(store);
    try {
      await settle(reader);
      const checks = await checkRun(api, reader, world, book.records);
      return {
        ...checks,
        store: o.store,
        nodes: nodesN,
        ops_sent: book.started,
        scenarios: book.records.length,
        kills,
        restarts: nodes.reduce((s, n) => s + n.starts - 1, 0),
        retries: api.retries,
        duration_ms,
        writes_per_s: Math.round((book.started / duration_ms) * 1000),
        served: nodes.map((n) => api.sent.get(n.url) ?? 0),
      };
    } finally {
      await reader.close();
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await drop();
  }
}

/**
 * Waits (bounded) until no order is executing and no pipeline job running: the sweeps fail and
 * refund interrupted orders and take over jobs whose runner died.
 */
async function settle(reader: Awaited<ReturnType<typeof openReader>>): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const rows = await reader.rows<{ n: unknown }>(
      `select (select count(*) from orders where status = 'executing')
            + (select count(*) from pipeline_jobs where status = 'running') as n`,
    );
    if (Number(rows[0]?.n ?? 0) === 0) return;
    await sleep(250);
  }
}

/** Prints a report as the figures block the issue asks for. */
export function printReport(r: CrashReport, out: (s: string) => void = console.log): void {
  out(`\n== crash harness: ${r.store}, ${r.nodes} node(s) ==`);
  out(
    `writes ${r.ops_sent} in ${r.scenarios} scenarios, ${r.duration_ms} ms (${r.writes_per_s}/s), ` +
      `kills ${r.kills}, restarts ${r.restarts}, client retries ${r.retries}`,
  );
  for (const [k, v] of Object.entries(r.counts)) out(`  ${k.padEnd(40)} ${v}`);
  out("  row shapes:");
  for (const [k, v] of Object.entries(r.shapes)) out(`    ${k.padEnd(44)} ${v}`);
  out(`  requests per node: ${r.served.join(" / ")}`);
  out(r.failures.length === 0 ? "OK: 0 failures" : `FAILURES (${r.failures.length}):`);
  for (const f of r.failures) out(`  ✗ ${f}`);
}

async function main(args: string[]): Promise<void> {
  const [ops, clients, kills, which, nodes] = args;
  const num = (a: string | undefined, env: string, d: number) => Number(a ?? process.env[env] ?? d);
  const stores =
    (which ?? process.env.STRESS_STORE ?? "both") === "both"
      ? (["sqlite", "postgres"] as const)
      : ([which ?? process.env.STRESS_STORE] as ["sqlite" | "postgres"]);
  let failed = false;
  for (const store of stores) {
    const report = await runCrash({
      store,
      ops: num(ops, "STRESS_OPS", 100_000),
      clients: num(clients, "STRESS_CLIENTS", 64),
      kills: num(kills, "STRESS_KILLS", 10),
      nodes: num(nodes, "STRESS_NODES", 1),
      log: (l) => console.log(`[${store}] ${l}`),
    });
    printReport(report);
    failed ||= report.failures.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}

const args = mainArgs(import.meta.url);
if (args) await main(args);
