/**
 * Where one sequential x402 paid call spends its wall time, hub side: from the unpaid request to
 * its 402, and from the paid request through verify (the gate), the work (orders and run), the
 * settlement and the booking to the answer. Phases are cut by wrapping the hub's gate, database
 * transactions and the HTTP server's events; nothing in src changes. Run:
 * `node bin/run-ts.js bench/x402-phases.ts` (`PHASE_CALLS`, default 60).
 */
import http from "node:http";
import { buyer, startX402Chain } from "../test/support/x402-chain.ts";
import { startX402Hub } from "../test/x402/hub-support.ts";
import { percentile } from "./support.ts";

const n = Number(process.env.PHASE_CALLS ?? "60");
const c = await startX402Chain();
if (!c) throw new Error("anvil could not start");
const hub = await startX402Hub(c, {
  name: "phases-x402",
  price: "0.02",
  endpoint_url: "builtin:text.stats#analyze",
});
const now = () => performance.now();
let marks: [string, number][] = [];
const mark = (name: string) => marks.push([name, now()]);
const ctx = hub.hub.ctx;
const x = ctx.x402;
if (!x) throw new Error("no x402");
const check = x.gate.check.bind(x.gate);
x.gate.check = async (req) => {
  mark("verify start");
  const r = await check(req);
  mark(`verify end (${r.kind})`);
  if (r.kind === "verified") {
    const settle = r.payment.settle.bind(r.payment);
    r.payment.settle = async (a) => {
      mark("settle start");
      const s = await settle(a);
      mark("settle end");
      return s;
    };
  }
  return r;
};
const transaction = ctx.db.transaction.bind(ctx.db);
ctx.db.transaction = (async (fn: (tx: unknown) => Promise<unknown>) => {
  mark("tx start");
  try {
    return await transaction(fn as never);
  } finally {
    mark("tx end");
  }
}) as typeof ctx.db.transaction;
hub.hub.app.server.prependListener("request", (_req, res) => {
  mark("request in");
  res.on("finish", () => mark(`response ${res.statusCode} out`));
});

// JSON-RPC calls to anvil: when each left and when its answer was complete.
const request = http.request;
http.request = ((...args: Parameters<typeof http.request>) => {
  const url = String(args[0]);
  if (!url.startsWith(c.rpc_url)) return request(...args);
  const req = request(...args);
  const end = req.end.bind(req);
  req.end = ((body: string) => {
    const method = /"method":"(\w+)"/.exec(String(body))?.[1] ?? "?";
    mark(`rpc ${method} sent`);
    req.once("response", (res) => res.once("end", () => mark(`rpc ${method} answered`)));
    return end(body);
  }) as typeof req.end;
  return req;
}) as typeof http.request;
const client = buyer(c, c.accounts.buyer);
for (let i = 0; i < 5; i++)
  await (await client.post(hub.invokeUrl, { input: { text: "x" } })).arrayBuffer();
const spans = new Map<string, number[]>();
const totals: number[] = [];
for (let i = 0; i < n; i++) {
  marks = [];
  const t0 = now();
  mark("client start");
  const res = await client.post(hub.invokeUrl, { input: { text: "x" } });
  await res.arrayBuffer();
  mark("client end");
  totals.push(now() - t0);
  for (let k = 1; k < marks.length; k++) {
    const [a, ta] = marks[k - 1] as [string, number];
    const [b, tb] = marks[k] as [string, number];
    const key = `${a} → ${b}`;
    spans.set(key, [...(spans.get(key) ?? []), tb - ta]);
  }
}
console.log(`paid calls ${n}: p50 ${percentile(totals, 0.5).toFixed(1)} ms`);
for (const [k, v] of spans) {
  console.log(
    `${percentile(v, 0.5).toFixed(2).padStart(7)} ms  ×${(v.length / n).toFixed(1)}  ${k}`,
  );
}
await hub.close();
await c.stop();
process.exit(0);
