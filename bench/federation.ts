/**
 * Federated search (issue #9): three hubs in-process, each listening on its own 127.0.0.1 port
 * with its own SQLite file (outbound_allow_hosts ["127.0.0.1"], as a federation on one box).
 * B and C announce themselves to A (signed with their own AIMP keys) and A crawls them, as an
 * operator would; then `GET /ai-market/v2/search?intent=…` on A with hub=any (A and the tools
 * it indexed from its active peers) and hub=<B's URL> (one peer) beside the same-run baseline,
 * hub=local (A's own catalogue only). The modes are interleaved query by query, and the intents
 * rotate, so every mode sees the same queries under the same load. A federated search reads A's
 * index of its peers' crawled manifests: no request leaves A while searching. Figures, not
 * assertions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signAnnounce } from "../src/aimp/index.ts";
import { loadConfig } from "../src/config.ts";
import { createHub, type Hub } from "../src/main.ts";
import { elapsedMs, pad, percentile, ratioText } from "./support.ts";

const QUERIES_AT_SCALE_1 = 3000;
const WARMUP_QUERIES = 30;
/** No query starts after this much measuring: a slow box keeps the section under a minute. */
const MEASURE_SECONDS_MAX = 30;
const TIMEOUT_MS = 30_000;
const INTENTS = [
  "count the words",
  "convert units of length",
  "summarize a text",
  "slugify a title",
  "extract keywords",
] as const;

type Mode = "local" | "peer" | "any";

export interface FederationRow {
  mode: Mode;
  /** The hub= value sent (the peer's URL for mode peer). */
  hub: string;
  ms: number[];
  errors: number;
  first_error: string | null;
  /** Mean matches per answer and hubs searched (as the answers said). */
  matches_mean: number;
  hubs_searched: number;
}

export interface FederationResult {
  rows: FederationRow[];
  /** Tools A indexed from each peer's crawl. */
  tools_indexed: number[];
}

interface LiveHub {
  hub: Hub;
  url: string;
  dir: string;
}

async function startHub(): Promise<LiveHub> {
  const dir = mkdtempSync(join(tmpdir(), "agx-bench-federation-"));
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0,
      log_level: "silent",
      data_dir: dir,
      outbound_allow_hosts: ["127.0.0.1"],
    },
  });
  const hub = await createHub(config);
  return { hub, url: await hub.listen(), dir };
}

/** A GET over a keep-alive node:http agent (fetch would add about a millisecond per call). */
function getClient() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true });
  function get(url: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: "GET", agent, timeout: TIMEOUT_MS }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end();
    });
  }
  return { get, close: () => agent.destroy() };
}

async function postJson(url: string, body: unknown, key?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** `peer` announces itself to `to`, signed with its own AIMP key (as the tests do). */
async function announce(to: LiveHub, peer: LiveHub): Promise<string> {
  const ctx = peer.hub.ctx;
  const key = await ctx.keys.signingKey(ctx.db.kysely);
  const body = signAnnounce(
    {
      hub_url: peer.url,
      well_known_url: `${peer.url}/.well-known/ai-market.json`,
      capabilities_count: 9,
      hub_name: "bench peer",
    },
    key.privateKey,
  );
  const ack = await postJson(`${to.url}/ai-market/v2/federation/announce`, body);
  if (typeof ack.peer_id !== "string") throw new Error(`announce: ${JSON.stringify(ack)}`);
  return ack.peer_id;
}

/** Crawls every pending peer of `a` now; the tools each indexed (all must become active). */
async function crawl(a: LiveHub, adminKey: string): Promise<number[]> {
  const out = await postJson(`${a.url}/ai-market/v2/federation/crawl`, {}, adminKey);
  const crawled = out.crawled as { hub_url: string; to: string; tools_indexed: number }[];
  const inactive = crawled.filter((c) => c.to !== "active");
  if (inactive.length || crawled.length !== 2)
    throw new Error(`the crawl did not activate both peers: ${JSON.stringify(crawled)}`);
  return crawled.map((c) => c.tools_indexed);
}

async function measure(a: LiveHub, rows: FederationRow[], queries: number) {
  const client = getClient();
  const answers = new Map<FederationRow, { matches: number; hubs: number }>();
  const url = (row: FederationRow, i: number) =>
    `${a.url}/ai-market/v2/search?intent=${encodeURIComponent(INTENTS[i % INTENTS.length] ?? "")}` +
    `&hub=${encodeURIComponent(row.hub)}`;
  try {
    for (let i = 0; i < WARMUP_QUERIES; i++) {
      for (const row of rows) await client.get(url(row, i));
    }
    const deadline = process.hrtime.bigint() + BigInt(MEASURE_SECONDS_MAX) * 1_000_000_000n;
    for (let i = 0; i < queries && process.hrtime.bigint() < deadline; i++) {
      for (let k = 0; k < rows.length; k++) {
        // Rotate the order, so no mode always runs right after another.
        const row = rows[(k + i) % rows.length] as FederationRow;
        const t0 = process.hrtime.bigint();
        let error: string | null = null;
        try {
          const r = await client.get(url(row, i));
          row.ms.push(elapsedMs(t0));
          if (r.status !== 200) error = `${r.status}: ${r.text}`;
          else {
            const body = JSON.parse(r.text) as { matches: unknown[]; total_hubs_searched: number };
            const seen = answers.get(row) ?? { matches: 0, hubs: 0 };
            answers.set(row, {
              matches: seen.matches + body.matches.length,
              hubs: Math.max(seen.hubs, body.total_hubs_searched),
            });
          }
        } catch (e) {
          row.ms.push(elapsedMs(t0));
          error = String((e as Error).message ?? e);
        }
        if (error !== null) {
          row.errors++;
          row.first_error ??= error.slice(0, 300);
        }
      }
    }
  } finally {
    client.close();
  }
  for (const row of rows) {
    const seen = answers.get(row);
    const good = row.ms.length - row.errors;
    row.matches_mean = seen && good > 0 ? seen.matches / good : 0;
    row.hubs_searched = seen?.hubs ?? 0;
  }
}

/** Federated search latency on hub A (peers B and C) beside A's local-only search. */
export async function benchFederation(scale: number): Promise<FederationResult> {
  const queries = Math.max(50, Math.round(QUERIES_AT_SCALE_1 * scale));
  const hubs: LiveHub[] = [];
  try {
    for (let i = 0; i < 3; i++) hubs.push(await startHub());
    const [a, b, c] = hubs as [LiveHub, LiveHub, LiveHub];
    const adminKey = a.hub.first_admin_key;
    if (!adminKey) throw new Error("a fresh hub must print its first admin key");
    await announce(a, b);
    await announce(a, c);
    const tools_indexed = await crawl(a, adminKey);
    const row = (mode: Mode, hub: string): FederationRow => ({
      mode,
      hub,
      ms: [],
      errors: 0,
      first_error: null,
      matches_mean: 0,
      hubs_searched: 0,
    });
    const rows = [row("local", "local"), row("peer", b.url), row("any", "any")];
    await measure(a, rows, queries);
    return { rows, tools_indexed };
  } finally {
    for (const h of hubs) {
      await h.hub.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  }
}

/** The table of benchFederation's rows: p50/p99 and their ratios to the local-only search. */
export function federationTable(result: FederationResult): string {
  const { rows, tools_indexed } = result;
  const local = rows.find((r) => r.mode === "local");
  const base50 = local ? percentile(local.ms, 0.5) : Number.NaN;
  const base99 = local ? percentile(local.ms, 0.99) : Number.NaN;
  const lines = [
    "\nGET /ai-market/v2/search on hub A: federated (A + peers B, C) vs A's local-only search\n" +
      "(3 hubs on 127.0.0.1, SQLite each, same run)\n",
    `${"mode".padEnd(7)}${"hub=".padEnd(24)}${pad("n", 6)}${pad("err", 5)}${pad("hubs", 6)}` +
      `${pad("matches", 9)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("p50 ×", 7)}` +
      `${pad("p99 ×", 7)}`,
  ];
  const errors: string[] = [];
  for (const r of rows) {
    const p50 = percentile(r.ms, 0.5);
    const p99 = percentile(r.ms, 0.99);
    const base = r.mode === "local";
    if (r.first_error) errors.push(`${r.mode}: ${r.first_error}`);
    lines.push(
      `${r.mode.padEnd(7)}${(r.mode === "peer" ? "<B's URL>" : r.hub).padEnd(24)}` +
        `${pad(String(r.ms.length), 6)}${pad(String(r.errors), 5)}` +
        `${pad(String(r.hubs_searched), 6)}${pad(r.matches_mean.toFixed(1), 9)}` +
        `${pad(p50.toFixed(2), 9)}${pad(p99.toFixed(2), 9)}` +
        `${pad(base ? "-" : ratioText(p50, base50), 7)}${pad(base ? "-" : ratioText(p99, base99), 7)}`,
    );
  }
  lines.push(
    "",
    `A indexed ${tools_indexed.join(" and ")} tools from B and C in one crawl.`,
    "p50 × / p99 × = the mode's percentile / local's (above 1: slower than local only).",
    "hubs = total_hubs_searched as answered; matches = mean matches per answer (limit 10).",
    `Modes interleave query by query over ${INTENTS.length} intents after ${WARMUP_QUERIES} ` +
      `warm-up rounds; none starts after ${MEASURE_SECONDS_MAX} s.`,
    "A federated search reads A's own index of its peers' crawled manifests: no request leaves A.",
    ...errors.map((e) => `first failure, ${e}`),
    "",
  );
  return lines.join("\n");
}
