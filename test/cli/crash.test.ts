import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const bin = new URL("../../bin/agx.js", import.meta.url).pathname;
const children: ChildProcess[] = [];

function start(dataDir: string): Promise<{ url: string; out: () => string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--data-dir", dataDir], {
    env: {
      PATH: process.env.PATH ?? "",
      AGX_LOG_LEVEL: "warn",
      AGX_EXECUTION_TIMEOUT_MS: "1500",
      AGX_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearInterval(timer);
        resolve({ url: m[1], out: () => out, child });
      }
    }, 25);
    child.on("exit", () => {
      clearInterval(timer);
      reject(new Error(`hub exited: ${out}`));
    });
  });
}

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

async function call(url: string, method: string, path: string, key?: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

describe("a hub killed with SIGKILL in the middle of a paid call", () => {
  let provider: Server;

  it("loses nothing and doubles nothing: after restart the order is failed and refunded once", async () => {
    let reached: () => void = () => {};
    const providerReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    provider = createServer(() => reached()); // never answers
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;

    const dataDir = mkdtempSync(join(tmpdir(), "agx-crash-"));
    const first = await start(dataDir);
    // The admin key is printed just after the "listening" line, in a write of its own.
    let admin = "";
    for (let i = 0; i < 400 && !admin; i++) {
      admin = /\n\s+(sk_agx_\S+)/.exec(first.out())?.[1] ?? "";
      if (!admin) await new Promise((r) => setTimeout(r, 25));
    }
    expect(admin, first.out()).toMatch(/^sk_agx_/);
    const seller = (
      await call(first.url, "POST", "/api/agents/register", undefined, { handle: "crashseller" })
    ).body;
    const buyer = (
      await call(first.url, "POST", "/api/agents/register", undefined, { handle: "crashbuyer" })
    ).body;
    const deposited = await call(first.url, "POST", "/api/v1/admin/deposits", admin, {
      id: "dep-crash-1",
      owner_id: buyer.agent.id,
      amount: "1",
      asset: "USDC",
    });
    expect(deposited.status, JSON.stringify(deposited.body)).toBe(201);
    const published = await call(first.url, "POST", "/api/v1/catalog/services", seller.apiKey, {
      name: "hangs-forever",
      version: "1.0.0",
      skill_key: "text.stats",
      description: "never answers",
      company_name: "Slow",
      execution_mode: "native",
      endpoints: [{ url: providerUrl, method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.25" },
      rails: ["agx-ledger"],
    });
    expect(published.status).toBe(201);

    const inFlight = call(
      first.url,
      "POST",
      "/capabilities/hangs-forever/analyze@v1/invoke",
      buyer.apiKey,
      { input: { text: "x" } },
    ).catch(() => null);
    // The call must reach the provider and hang there; an answer first says why it did not.
    const early = await Promise.race([providerReached.then(() => null), inFlight]);
    expect(early, `answered before reaching the provider: ${JSON.stringify(early)}`).toBeNull();
    first.child.kill("SIGKILL");
    await inFlight;

    const second = await start(dataDir);
    const balance = async () =>
      (await call(second.url, "GET", "/api/v1/balances", buyer.apiKey)).body.items[0];
    let orders = (await call(second.url, "GET", "/api/v1/market/orders", buyer.apiKey)).body.items;
    expect(orders).toHaveLength(1);
    expect(orders[0].status).toBe("executing");
    expect((await balance()).available).toBe("0.750000");
    for (let i = 0; i < 100 && orders[0].status === "executing"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      orders = (await call(second.url, "GET", "/api/v1/market/orders", buyer.apiKey)).body.items;
    }
    expect(orders[0]).toMatchObject({ status: "failed", payment: { status: "refunded" } });
    expect(await balance()).toMatchObject({ balance: "1.000000", available: "1.000000" });
    const verify = await call(second.url, "GET", "/api/v1/admin/ledger/verify", admin);
    expect(verify.body).toMatchObject({ ok: true, failures: [] });
    second.child.kill("SIGTERM");
    provider.close();
  }, 180_000);
});
