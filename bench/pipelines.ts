/**
 * Pipeline overhead (issue #9): `POST /ai-market/pipelines` over real HTTP on a listening hub,
 * with N independent nodes and with a chain of N nodes (each `depends_on` the one before), N = 4
 * and 8, every node the builtin `builtin-text-stats-analyze` / `analyze@v1` on the same input.
 * The same-run baseline is the same N calls made directly
 * (`POST /capabilities/builtin-text-stats-analyze/analyze@v1/invoke`), one after the other, on
 * the same hub, key and connection. The three are interleaved round by round (the order rotates)
 * so load from other work on the box falls on all of them alike. Figures are wall time per node;
 * independent nodes run up to pipelineLimits.concurrency_max at once, a chain one at a time.
 * Figures, not assertions: failed calls are counted and shown; only an unverifiable ledger
 * fails the run.
 */
import { loadConfig } from "../src/config.ts";
import type { Database } from "../src/db/db.ts";
import { newId } from "../src/kernel/ids.ts";
import { createHub, type Hub } from "../src/main.ts";
import { pipelineLimits } from "../src/pipelines/index.ts";
import {
  type BenchDatabase,
  elapsedMs,
  httpClient,
  onEachDatabase,
  pad,
  percentile,
  ratioText,
} from "./support.ts";

const PRODUCT = "builtin-text-stats-analyze";
const CAPABILITY = "analyze@v1";
const INVOKE = `/capabilities/${PRODUCT}/${CAPABILITY}/invoke`;
const PIPELINES = "/ai-market/pipelines";
const TEXT = "Agents trade skills. Machines pay per call, and every call leaves a receipt.";
/** Pipeline sizes; both at most sync_nodes_max, so every pipeline answers 200 with its result. */
const SIZES = [4, 8] as const;
const ROUNDS_AT_SCALE_1 = 40;
const WARMUP_ROUNDS = 2;
/** Per database, no round starts after this: a slow hub keeps the section near a minute. */
const MEASURE_SECONDS_MAX = 18;
const TIMEOUT_MS = 60_000;

type Mode = "direct" | "independent" | "chain";
const MODES: readonly Mode[] = ["direct", "independent", "chain"];

export interface PipelinesRow {
  database: BenchDatabase;
  nodes: number;
  mode: Mode;
  /** Wall time of each sample (N direct calls, or one pipeline) divided by N, ms. */
  per_node_ms: number[];
  /** Samples that did not answer 200 with a succeeded result. */
  errors: number;
  first_error: string | null;
}

type Client = ReturnType<typeof httpClient>;

function pipelineBody(nodes: number, chain: boolean): string {
  return JSON.stringify({
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `n${i}`,
      product_id: PRODUCT,
      capability_id: CAPABILITY,
      input: { text: TEXT },
      ...(chain && i > 0 ? { depends_on: [`n${i - 1}`] } : {}),
    })),
  });
}

/** A registered agent with a funded key, and the operator's key for the ledger check. */
async function fundBuyer(client: Client, base: string, adminKey: string) {
  const json = { "content-type": "application/json" };
  const reg = await client.post(
    `${base}/api/agents/register`,
    json,
    JSON.stringify({ handle: "bench-pipelines" }),
  );
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${reg.text}`);
  const made = JSON.parse(reg.text) as { agent: { id: string }; apiKey: string };
  const dep = await client.post(
    `${base}/api/v1/admin/deposits`,
    { ...json, authorization: `Bearer ${adminKey}` },
    JSON.stringify({ id: newId("dep"), owner_id: made.agent.id, amount: "1000", asset: "USDC" }),
  );
  if (dep.status !== 201) throw new Error(`deposit answered ${dep.status}: ${dep.text}`);
  return made.apiKey;
}

/** One sample: its wall time over N and its failure, if any. */
async function sample(
  client: Client,
  base: string,
  headers: Record<string, string>,
  mode: Mode,
  nodes: number,
): Promise<{ ms: number; error: string | null }> {
  const t0 = process.hrtime.bigint();
  try {
    if (mode === "direct") {
      const body = JSON.stringify({ input: { text: TEXT } });
      for (let i = 0; i < nodes; i++) {
        const r = await client.post(`${base}${INVOKE}`, headers, body);
        if (r.status !== 200 || !r.text.includes('"success":true'))
          return { ms: elapsedMs(t0) / nodes, error: `invoke ${r.status}: ${r.text}` };
      }
    } else {
      const r = await client.post(
        `${base}${PIPELINES}`,
        headers,
        pipelineBody(nodes, mode === "chain"),
      );
      if (r.status !== 200 || !r.text.includes('"status":"succeeded"'))
        return { ms: elapsedMs(t0) / nodes, error: `pipeline ${r.status}: ${r.text}` };
    }
  } catch (e) {
    return { ms: elapsedMs(t0) / nodes, error: String((e as Error).message ?? e) };
  }
  return { ms: elapsedMs(t0) / nodes, error: null };
}

async function verifyLedger(base: string, adminKey: string, database: string) {
  const res = await fetch(`${base}/api/v1/admin/ledger/verify`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body = (await res.json()) as { ok?: boolean; failures?: unknown[] };
  if (res.status !== 200 || body.ok !== true || body.failures?.length) {
    throw new Error(
      `the ledger did not verify after the pipelines benchmark on ${database}: ` +
        JSON.stringify(body),
    );
  }
}

async function benchOn(
  database: BenchDatabase,
  db: Database,
  dir: string,
  rounds: number,
): Promise<PipelinesRow[]> {
  const config = loadConfig({
    env: {},
    overrides: { port: 0, log_level: "silent", data_dir: dir, hub_fee_bps: 100 },
  });
  const hub: Hub = await createHub(config, { database: db });
  const client = httpClient({ connections_max: 1, timeout_ms: TIMEOUT_MS });
  try {
    const base = await hub.listen();
    const adminKey = hub.first_admin_key;
    if (!adminKey) throw new Error("a fresh hub must print its first admin key");
    const key = await fundBuyer(client, base, adminKey);
    const headers = { "content-type": "application/json", authorization: `Bearer ${key}` };
    const rows: PipelinesRow[] = SIZES.flatMap((nodes) =>
      MODES.map((mode) => ({
        database,
        nodes,
        mode,
        per_node_ms: [],
        errors: 0,
        first_error: null,
      })),
    );
    let deadline = 0n;
    for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
      if (round === WARMUP_ROUNDS) {
        deadline = process.hrtime.bigint() + BigInt(MEASURE_SECONDS_MAX) * 1_000_000_000n;
      } else if (round > WARMUP_ROUNDS && process.hrtime.bigint() > deadline) break;
      // Rotate the order, so no mode always runs right after another.
      for (let k = 0; k < rows.length; k++) {
        const row = rows[(k + round) % rows.length] as PipelinesRow;
        const s = await sample(client, base, headers, row.mode, row.nodes);
        if (round < WARMUP_ROUNDS) continue;
        row.per_node_ms.push(s.ms);
        if (s.error !== null) {
          row.errors++;
          row.first_error ??= s.error.slice(0, 300);
        }
      }
    }
    await verifyLedger(base, adminKey, database);
    return rows;
  } finally {
    client.close();
    await hub.close();
  }
}

/** Pipeline wall time per node beside the same calls made directly, on both databases. */
export async function benchPipelines(scale: number): Promise<PipelinesRow[]> {
  const rounds = Math.max(5, Math.round(ROUNDS_AT_SCALE_1 * scale));
  // The pool a hub opens from DATABASE_URL (databaseTargetOf sets no size): the default 10.
  const rows = await onEachDatabase("pipelines", { pool_size_max: 10 }, (name, db, dir) =>
    benchOn(name, db, dir, rounds),
  );
  return rows.flat();
}

/** The table of benchPipelines' rows: per-node latency and its ratio to the direct calls. */
export function pipelinesTable(rows: PipelinesRow[]): string {
  const lines = [
    "\npipeline per node vs the same builtin invoked directly, sequentially (same hub, same run)\n",
    `${"database".padEnd(10)}${pad("N", 3)}  ${"mode".padEnd(13)}${pad("n", 5)}${pad("err", 5)}` +
      `${pad("p50 ms/node", 13)}${pad("p90 ms/node", 13)}${pad("ratio", 7)}`,
  ];
  const errors: string[] = [];
  for (const r of rows) {
    const direct = rows.find(
      (d) => d.database === r.database && d.nodes === r.nodes && d.mode === "direct",
    );
    const p50 = percentile(r.per_node_ms, 0.5);
    const ratio =
      r.mode === "direct" || !direct ? "-" : ratioText(p50, percentile(direct.per_node_ms, 0.5));
    if (r.first_error) errors.push(`${r.database} N=${r.nodes} ${r.mode}: ${r.first_error}`);
    lines.push(
      `${r.database.padEnd(10)}${pad(String(r.nodes), 3)}  ${r.mode.padEnd(13)}` +
        `${pad(String(r.per_node_ms.length), 5)}${pad(String(r.errors), 5)}` +
        `${pad(p50.toFixed(2), 13)}${pad(percentile(r.per_node_ms, 0.9).toFixed(2), 13)}` +
        `${pad(ratio, 7)}`,
    );
  }
  lines.push(
    "",
    "ms/node = wall time of one sample / N: N direct invokes one after the other, or one",
    "pipeline of N nodes (submit, price, fund, run, bill of materials, answer). ratio = p50",
    "ms/node / direct p50 ms/node at the same N (above 1: the pipeline's overhead per node).",
    `independent = N nodes with no edges (up to ${pipelineLimits.concurrency_max} run at once); ` +
      "chain = each node depends_on",
    "the one before. n = samples: rounds interleave the modes (order rotating) after " +
      `${WARMUP_ROUNDS} warm-up`,
    `rounds; none starts after ${MEASURE_SECONDS_MAX} s of measuring per database, so a slow ` +
      "database gets fewer.",
    ...errors.map((e) => `first failure, ${e}`),
    "",
  );
  return lines.join("\n");
}
