import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const BUILTIN = "builtin-text-stats-analyze";
const INVOKE = `/capabilities/${BUILTIN}/analyze@v1/invoke`;

interface Frame {
  id: string | null;
  event: string;
  data: Record<string, unknown>;
}

/** Parses the complete frames at the front of `buffer`; returns what is left. */
function takeFrames(buffer: string, into: Frame[]): string {
  let rest = buffer;
  let cut = rest.indexOf("\n\n");
  while (cut >= 0) {
    const lines = rest.slice(0, cut).split("\n");
    rest = rest.slice(cut + 2);
    cut = rest.indexOf("\n\n");
    const field = (name: string) =>
      lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
    const data = field("data");
    if (data !== null)
      into.push({ id: field("id"), event: field("event") ?? "", data: JSON.parse(data) });
  }
  return rest;
}

/**
 * Reads SSE frames until `done` accepts the frames so far, then hangs up (node:http, so the
 * socket really closes and the hub can shut down at once).
 */
function readFrames(
  url: string,
  headers: Record<string, string>,
  done: (frames: Frame[]) => boolean,
  timeout_ms = 10_000,
): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const req = get(url, { headers }, (res) => {
      if (!String(res.headers["content-type"]).startsWith("text/event-stream")) {
        req.destroy();
        return reject(new Error(`not an event stream: ${res.statusCode}`));
      }
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer = takeFrames(buffer + chunk, frames);
        if (done(frames)) finish();
      });
      res.on("end", finish);
    });
    const timer = setTimeout(finish, timeout_ms);
    function finish() {
      clearTimeout(timer);
      req.destroy();
      resolve(frames);
    }
    req.on("error", () => finish());
  });
}

describeStores("Factory Floor: stats, live feed and service health", (store) => {
  let t: TestHub;
  let url = "";
  let provider: Server;
  let providerUrl = "";

  beforeAll(async () => {
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url === "/fail") return res.writeHead(500).end("boom");
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ result: { ok: true } }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    t = await startTestHub({
      database: store.db,
      config: { outbound_allow_hosts: ["127.0.0.1"] },
    });
    url = await t.hub.listen();
  });
  afterAll(async () => {
    await t.close();
    provider.close();
  });

  async function agent(funds?: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `st${Math.random().toString(36).slice(2, 10)}` },
    });
    if (funds) {
      await t.call("POST", "/api/v1/admin/deposits", {
        key: t.adminKey,
        body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
      });
    }
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }

  async function publish(seller: { key: string }, name: string, path: string) {
    const res = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name,
        version: "1.0.0",
        skill_key: "text.stats",
        description: "zebracount quasarwidget analysis",
        company_name: "Floor Inc",
        execution_mode: "native",
        endpoints: [{ url: `${providerUrl}${path}`, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });
    expect(res.status).toBe(201);
  }

  const invoke = (key: string, path = INVOKE) =>
    t.call("POST", path, { key, body: { input: { text: "Agents trade skills." } } });

  it("counts real invocations, settlements and spend per asset in exact decimals", async () => {
    const buyer = await agent("1");
    const seller = await agent();
    const failing = `floorfail-${seller.id.slice(-6).toLowerCase()}`;
    await publish(seller, failing, "/fail");
    const paid = [await invoke(buyer.key), await invoke(buyer.key)];
    expect(paid.map((r) => r.body.success)).toEqual([true, true]);
    const bad = await invoke(buyer.key, `/capabilities/${failing}/analyze@v1/invoke`);
    expect(bad.body.success).toBe(false);

    const res = await t.call("GET", "/ai-market/stats");
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.invocations.by_status).toEqual({ succeeded: 2, failed: 1 });
    expect(s.window.invocations.total).toBe(3);
    expect(s.window.error_rate).toBeCloseTo(1 / 3, 4);
    expect(s.settlements.by_status).toEqual({ released: 2, refunded: 1 });
    const spent = paid.reduce((sum, r) => sum + BigInt(Math.round(r.body.price_usd * 1e6)), 0n);
    expect(s.settlements.spend).toEqual([
      {
        amount: `${spent / 1_000_000n}.${String(spent % 1_000_000n).padStart(6, "0")}`,
        amount_minor: String(spent),
        asset: "USDC",
        settled_orders: 2,
      },
    ]);
    expect(s.orders.by_status).toMatchObject({ confirmed: 2, failed: 1 });
    expect(s.principals.by_kind.agent).toBeGreaterThanOrEqual(2);
    expect(s.services.active).toBeGreaterThan(1);
    expect(s.receipts.total).toBeGreaterThan(0);
    expect(s.top_services[0]).toEqual({
      service: BUILTIN,
      skill_key: "text.stats",
      invocations: 2,
      succeeded: 2,
      failed: 0,
      error_rate: 0,
    });
    expect(s.top_services[1]).toMatchObject({ service: failing, failed: 1, error_rate: 1 });
    expect(JSON.stringify(s)).not.toContain(buyer.id);
  });

  it("streams an invocation and its settlement after a paid invoke, and resumes after Last-Event-ID", async () => {
    const buyer = await agent("1");
    const live = `${url}/ai-market/v2/stats/live`;
    let invoked = false;
    const first = await readFrames(live, {}, (frames) => {
      if (!invoked && frames.some((f) => f.event === "totals")) {
        invoked = true;
        void invoke(buyer.key);
      }
      return frames.some((f) => f.event === "settlement");
    });
    expect(first[0]?.event).toBe("totals");
    expect(first[0]?.id).toBeNull();
    const [call, settled] = first.filter((f) => f.id !== null);
    expect(call?.event).toBe("invocation");
    expect(Object.keys(call?.data ?? {}).sort()).toEqual(
      ["at", "latency_ms", "operation", "rail", "service", "skill", "status"].sort(),
    );
    expect(call?.data).toMatchObject({
      service: BUILTIN,
      skill: "text.stats",
      status: "succeeded",
    });
    expect(typeof call?.data.latency_ms).toBe("number");
    expect(settled?.data).toMatchObject({ service: BUILTIN, status: "released" });
    expect(JSON.stringify(first)).not.toContain(buyer.id);

    // Missed while disconnected: the next invoke arrives on resume, the first does not again.
    const again = await invoke(buyer.key);
    expect(again.body.success).toBe(true);
    const resumed = await readFrames(live, { "last-event-id": String(settled?.id) }, (frames) =>
      frames.some((f) => f.event === "settlement"),
    );
    const ids = resumed.filter((f) => f.id !== null);
    expect(ids.map((f) => f.event)).toEqual(["invocation", "settlement"]);
    expect(String(ids[0]?.id) > String(settled?.id)).toBe(true);
  });

  it("refuses a Last-Event-ID that is not a feed cursor", async () => {
    const res = await t.call("GET", "/ai-market/v2/stats/live", {
      headers: { "last-event-id": "evt_nope" },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("STATS_CURSOR_INVALID");
  });

  it("ranks a healthy service above a failing one with an otherwise equal match, and says so in the manifest", async () => {
    const buyer = await agent("1");
    const seller = await agent();
    const u = seller.id.slice(-6).toLowerCase();
    await publish(seller, `flaky-${u}`, "/fail");
    await publish(seller, `steady-${u}`, "/ok");
    const search = async () => {
      const res = await t.call("POST", "/api/v1/market/search", {
        key: buyer.key,
        body: { query: "zebracount quasarwidget", limit: 10 },
      });
      expect(res.status).toBe(200);
      return res.body.quotes.filter((q: { service: { name: string } }) =>
        q.service.name.endsWith(u),
      ) as { score: number; reasons: string[]; service: { name: string } }[];
    };
    const before = await search();
    expect(before).toHaveLength(2);
    expect(before[0]?.score).toBe(before[1]?.score);

    for (let i = 0; i < 3; i++) {
      expect(
        (await invoke(buyer.key, `/capabilities/flaky-${u}/analyze@v1/invoke`)).body.success,
      ).toBe(false);
      expect(
        (await invoke(buyer.key, `/capabilities/steady-${u}/analyze@v1/invoke`)).body.success,
      ).toBe(true);
    }
    const { ctx } = t.hub;
    expect(
      await ctx.db.transaction((tx) => ctx.stats.refreshHealth(tx, { force: true })),
    ).toBeGreaterThanOrEqual(2);

    const after = await search();
    expect(after.map((q) => q.service.name)).toEqual([`steady-${u}`, `flaky-${u}`]);
    expect(after[0]?.score).toBeGreaterThan(after[1]?.score ?? 1);
    expect(after[0]?.reasons).toContain("success rate 100.0 %");
    expect(after[1]?.reasons).toContain("success rate 0.0 %");

    const manifest = await t.call("GET", "/ai-market/manifest");
    const tool = (name: string) =>
      manifest.body.tools.find((x: { name: string }) => x.name === `${name}.analyze@v1`);
    expect(tool(`steady-${u}`)).toMatchObject({ success_rate_30d: 1 });
    expect(tool(`steady-${u}`).p50_latency_ms).toBeGreaterThanOrEqual(0);
    expect(tool(`flaky-${u}`)).toMatchObject({ success_rate_30d: 0 });
  });
});
