/**
 * MCP (issue #10): `tools/call` round trips per second through agx's /mcp against a bare
 * @modelcontextprotocol/sdk server with one trivial tool, in the same run. Both are Streamable
 * HTTP on 127.0.0.1, stateless with JSON answers (agx's shape: a new server and transport per
 * request), driven by the same SDK client code. agx cases: the paid invoke of a builtin
 * capability tool (pays from a funded balance: order, ledger hold and post, receipts) and the
 * read-only `balance` tool (agx's MCP plumbing without the purchase). Each case runs sequentially
 * on one client and with CLIENTS clients at once. Client and servers share this process, the same
 * way for every case, so ratios compare like with like. SQLite only (a throw-away data dir): the
 * purchase's database cost is measured by the invoke section.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../src/config.ts";
import { newId } from "../src/kernel/ids.ts";
import { createHub } from "../src/main.ts";
import { elapsedMs, pad, percentile, ratioText } from "./support.ts";

const CLIENTS = 8;
const SEQUENTIAL_AT_SCALE_1 = 1000;
const CONCURRENT_AT_SCALE_1 = 2000;
/** A phase starts no call after this age, so a slow case keeps the run short. */
const PHASE_SECONDS_MAX = 10;
const PAID_TOOL = "builtin-text-stats-analyze.analyze_v1";

export interface McpPhase {
  calls: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export interface McpRow {
  case: "bare SDK, trivial tool" | "agx balance tool" | "agx paid invoke tool";
  sequential: McpPhase;
  concurrent: McpPhase;
}

type Call = (client: Client) => Promise<boolean>;

/** The baseline: one trivial tool, a new low-level server and transport per request. */
async function startBareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const build = () => {
    const server = new Server({ name: "bare", version: "1.0.0" }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: "echo", description: "echo", inputSchema: { type: "object" } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => ({
      content: [{ type: "text", text: JSON.stringify(req.params.arguments ?? {}) }],
    }));
    return server;
  };
  const http: HttpServer = createServer((req, res) => {
    if (req.method !== "POST") return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const server = build();
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString("utf8")));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

async function connect(url: string, key?: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }),
  );
  return client;
}

/** `n` calls spread over `clients` (each one after another), stopping at the age limit. */
async function phase(clients: Client[], n: number, call: Call): Promise<McpPhase> {
  const samples: number[] = [];
  let errors = 0;
  let next = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + PHASE_SECONDS_MAX * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (next < n && Date.now() < deadline) {
        next++;
        const t0 = process.hrtime.bigint();
        const ok = await call(client).catch(() => false);
        if (ok) samples.push(elapsedMs(t0));
        else errors++;
      }
    }),
  );
  const seconds = elapsedMs(start) / 1000;
  return {
    calls: samples.length + errors,
    errors,
    rps: samples.length / seconds,
    p50_ms: percentile(samples, 0.5),
    p99_ms: percentile(samples, 0.99),
  };
}

async function measure(url: string, key: string | undefined, call: Call, scale: number) {
  const sequential = Math.max(50, Math.round(SEQUENTIAL_AT_SCALE_1 * scale));
  const concurrent = Math.max(100, Math.round(CONCURRENT_AT_SCALE_1 * scale));
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url, key)));
  try {
    const one = clients.slice(0, 1);
    await phase(one, Math.min(50, sequential), call); // warm-up: JIT, caches, connections
    return {
      sequential: await phase(one, sequential, call),
      concurrent: await phase(clients, concurrent, call),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** tools/call rates of agx's /mcp beside a bare SDK server in the same run. */
export async function benchMcp(scale: number): Promise<McpRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "agx-bench-mcp-"));
  const hub = await createHub(
    loadConfig({ env: {}, overrides: { port: 0, log_level: "silent", data_dir: dir } }),
  );
  const bare = await startBareServer();
  try {
    const base = await hub.listen();
    const post = async (path: string, body: unknown, key?: string) => {
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const reg = await post("/api/agents/register", { handle: "bench-mcp" });
    const key = String(reg.apiKey);
    const owner = String((reg.agent as { id: string }).id);
    // Enough for every paid call at the minimum price (well under a cent each).
    const amount = String(
      Math.ceil(((CONCURRENT_AT_SCALE_1 + SEQUENTIAL_AT_SCALE_1) * scale + 500) / 100),
    );
    await post(
      "/api/v1/admin/deposits",
      { id: newId("dep"), owner_id: owner, amount, asset: "USDC" },
      hub.first_admin_key ?? "",
    );
    const agx = `${base}/mcp`;
    const trivial: Call = async (c) =>
      !(await c.callTool({ name: "echo", arguments: { text: "hi" } })).isError;
    const balance: Call = async (c) =>
      !(await c.callTool({ name: "balance", arguments: {} })).isError;
    const paid: Call = async (c) =>
      !(await c.callTool({ name: PAID_TOOL, arguments: { text: "Agents trade skills." } })).isError;
    return [
      { case: "bare SDK, trivial tool", ...(await measure(bare.url, undefined, trivial, scale)) },
      { case: "agx balance tool", ...(await measure(agx, key, balance, scale)) },
      { case: "agx paid invoke tool", ...(await measure(agx, key, paid, scale)) },
    ];
  } finally {
    await bare.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const phaseCells = (p: McpPhase) =>
  `${pad(p.rps.toFixed(0), 8)}${pad(p.p50_ms.toFixed(1), 8)}${pad(p.p99_ms.toFixed(1), 8)}` +
  `${pad(String(p.errors), 5)}`;

/** The table of benchMcp's rows. */
export function mcpTable(rows: McpRow[]): string {
  const base = rows[0];
  const lines = [
    `\nmcp: tools/call over Streamable HTTP on 127.0.0.1, agx /mcp vs a bare SDK server (same run)\n`,
    `${"".padEnd(24)}${"sequential (1 client)".padEnd(29)}  ${CLIENTS} clients at once`,
    `${"case".padEnd(24)}${pad("call/s", 8)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("err", 5)}` +
      `  ${pad("call/s", 8)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("err", 5)}${pad("ratio", 8)}`,
  ];
  for (const r of rows) {
    const ratio = base ? ratioText(r.concurrent.rps, base.concurrent.rps) : "-";
    lines.push(
      `${r.case.padEnd(24)}${phaseCells(r.sequential)}  ${phaseCells(r.concurrent)}${pad(ratio, 8)}`,
    );
  }
  lines.push(
    "\nratio = calls per second with 8 clients / the bare SDK server's; err = isError or failed calls",
    "(the paid tool buys each call: order, ledger hold and post, signed receipts)\n",
  );
  return lines.join("\n");
}
