/**
 * Traces agx's x402 paid call: counts the JSON-RPC calls the hub makes to anvil per payment
 * (through a counting proxy) and times sequential paid calls; a slow call (over 100 ms) prints
 * when each of its calls left and came back (`/method`). Run:
 * `node bin/run-ts.js bench/x402-trace.ts` (`TRACE_CALLS`, default 20).
 */
import { writeFileSync } from "node:fs";
import http from "node:http";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { buyer, startX402Chain } from "../test/support/x402-chain.ts";
import { startX402Hub } from "../test/x402/hub-support.ts";
import { elapsedMs, percentile } from "./support.ts";

const counts = new Map<string, number>();
let log: string[] = [];
let t0 = process.hrtime.bigint();

async function countingRpc(target: string) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (b: Buffer) => chunks.push(b));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const json = JSON.parse(body.toString("utf8"));
      for (const m of Array.isArray(json) ? json : [json]) {
        counts.set(m.method, (counts.get(m.method) ?? 0) + 1);
        log.push(`${elapsedMs(t0).toFixed(1)} ${m.method}`);
      }
      const answer = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      log.push(`${elapsedMs(t0).toFixed(1)} /${Array.isArray(json) ? "batch" : json.method}`);
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

const n = Number(process.env.TRACE_CALLS ?? "20");
const c = await startX402Chain();
if (!c) throw new Error("anvil could not start");
const proxy = await countingRpc(c.rpc_url);
const hub = await startX402Hub(c, {
  name: "trace-x402",
  price: "0.02",
  overrides: { x402_rpc_url: process.env.TRACE_NO_PROXY ? c.rpc_url : proxy.url },
  // TRACE_BUILTIN=1: the built-in skill in process instead of the HTTP provider.
  ...(process.env.TRACE_BUILTIN ? { endpoint_url: "builtin:text.stats#analyze" } : {}),
});
try {
  const client = buyer(c, c.accounts.buyer);
  for (let i = 0; i < 3; i++) await client.post(hub.invokeUrl, { input: { text: "x" } });
  counts.clear();
  const session = process.env.TRACE_PROFILE ? new Session() : null;
  session?.connect();
  await session?.post("Profiler.enable");
  await session?.post("Profiler.setSamplingInterval", { interval: 100 });
  await session?.post("Profiler.start");
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    log = [];
    t0 = process.hrtime.bigint();
    const res = await client.post(hub.invokeUrl, { input: { text: "x" } });
    await res.arrayBuffer();
    ms.push(elapsedMs(t0));
    if (res.status !== 200) console.log("status", res.status);
    if (i === n - 1 || (ms.at(-1) ?? 0) > 100) {
      console.log(`call ${i}: ${log.join(" | ")} | end ${ms.at(-1)?.toFixed(1)}`);
    }
  }
  if (session && process.env.TRACE_PROFILE) {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(process.env.TRACE_PROFILE, JSON.stringify(profile));
  }
  console.log(
    `paid calls: ${n}, p50 ${percentile(ms, 0.5).toFixed(1)} ms, p99 ${percentile(ms, 0.99).toFixed(1)} ms`,
  );
  console.log("RPC calls per paid call:");
  for (const [m, k] of counts) console.log(`  ${m}: ${(k / n).toFixed(2)}`);
} finally {
  proxy.close();
  await hub.close();
  await c.stop();
}
process.exit(0);
