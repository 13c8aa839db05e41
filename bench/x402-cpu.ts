/**
 * CPU per paid call of each x402 stack (this process and anvil), at 1 and 10 clients: tells
 * whether a stack is bound by CPU or by waiting. Run: `node bin/run-ts.js bench/x402-cpu.ts`.
 * agx's work goes to a seller's HTTP provider; `CPU_BUILTIN=1` runs the built-in skill instead
 * (as the bench does). `CPU_PROFILE=DIR` writes a CPU profile of each measured run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { buyer, startX402Chain } from "../test/support/x402-chain.ts";
import { startX402Hub } from "../test/x402/hub-support.ts";
import { elapsedMs, percentile } from "./support.ts";
import { referenceStack } from "./x402.ts";

const TICKS_PER_S = 100;
function anvilTicks(): number {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  const mine = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (pid && ppid && mine.has(ppid) && !mine.has(pid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  let t = 0;
  for (const [pid, , comm] of rows) {
    if (!pid || !mine.has(pid) || pid === String(process.pid) || !comm?.includes("anvil")) continue;
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    t += Number(f[11]) + Number(f[12]);
  }
  return t;
}

const c = await startX402Chain();
if (!c) throw new Error("anvil could not start");
const hub = await startX402Hub(c, {
  name: "cpu-x402",
  price: "0.02",
  ...(process.env.CPU_BUILTIN ? { endpoint_url: "builtin:text.stats#analyze" } : {}),
});
const ref = await referenceStack(c);
const client = buyer(c, c.accounts.buyer);
const n = Number(process.env.CPU_CALLS ?? "100");
async function run(url: string, clients: number) {
  let next = 0;
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  const a0 = anvilTicks();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        next++;
        const t = process.hrtime.bigint();
        const res = await client.post(url, { input: { text: "x" } });
        await res.arrayBuffer();
        ms.push(elapsedMs(t));
        if (res.status !== 200) console.log("status", res.status);
      }
    }),
  );
  const wall = elapsedMs(t0);
  const cpu = process.cpuUsage(cpu0);
  const anvil = ((anvilTicks() - a0) / TICKS_PER_S) * 1000;
  return `${(n / (wall / 1000)).toFixed(1)}/s p50 ${percentile(ms, 0.5).toFixed(1)} ms, node cpu ${((cpu.user + cpu.system) / 1000 / n).toFixed(1)} ms/call, anvil ${(anvil / n).toFixed(1)} ms/call`;
}
try {
  await run(hub.invokeUrl, 1);
  await run(ref.url, 1);
  for (const clients of [1, 10]) {
    for (const [name, url] of [
      ["ref", ref.url],
      ["agx", hub.invokeUrl],
    ] as const) {
      const dir = process.env.CPU_PROFILE;
      const profile = dir ? new Session() : null;
      profile?.connect();
      await profile?.post("Profiler.enable");
      await profile?.post("Profiler.start");
      console.log(`${name} ${clients}: ${await run(url, clients)}`);
      if (profile && dir) {
        const { profile: p } = await profile.post("Profiler.stop");
        writeFileSync(`${dir}/${name}-${clients}.cpuprofile`, JSON.stringify(p));
      }
    }
  }
} finally {
  ref.close();
  await hub.close();
  await c.stop();
}
process.exit(0);
