import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const SLOW_MS = 400;

describeStores("a provider's per-service stats: runs, success, latency, revenue", (store) => {
  let t: TestHub;
  let provider: Server;
  let providerUrl = "";

  beforeAll(async () => {
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url === "/fail") return void res.writeHead(500).end("boom");
        const answer = () =>
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ result: { ok: true } }));
        if (req.url === "/slow") return void setTimeout(answer, SLOW_MS);
        answer();
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    t = await startTestHub({
      database: store.db,
      config: { outbound_allow_hosts: ["127.0.0.1"], hub_fee_bps: 1000 },
    });
  });
  afterAll(async () => {
    await t.close();
    provider.close();
  });

  async function agent(funds?: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `ss${Math.random().toString(36).slice(2, 10)}` },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    if (funds) {
      await t.call("POST", "/api/v1/admin/deposits", {
        key: t.adminKey,
        body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
      });
    }
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }

  async function publish(seller: { key: string }, name: string, version: string, path: string) {
    const res = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name,
        version,
        skill_key: "text.stats",
        description: "counts words for the stats tests",
        company_name: "Stats Inc",
        execution_mode: "native",
        endpoints: [{ url: `${providerUrl}${path}`, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  const invoke = async (key: string, name: string) =>
    (
      await t.call("POST", `/capabilities/${name}/analyze@v1/invoke`, {
        key,
        body: { input: { text: "Agents trade skills." } },
      })
    ).body.success as boolean;

  const stats = (id: string, key?: string, qs = "") =>
    t.call("GET", `/api/v1/catalog/services/${id}/stats${qs}`, key ? { key } : {});

  /** A service with 5 fast successes on v1, one slow success and two failures on v2. */
  async function busyService() {
    const buyer = await agent("1");
    const seller = await agent();
    const name = `stats-${seller.id.slice(-8).toLowerCase()}`;
    const v1 = await publish(seller, name, "1.0.0", "/ok");
    for (let i = 0; i < 5; i++) expect(await invoke(buyer.key, name)).toBe(true);
    await publish(seller, name, "1.1.0", "/slow");
    expect(await invoke(buyer.key, name)).toBe(true);
    const v3 = await publish(seller, name, "1.2.0", "/fail");
    expect([await invoke(buyer.key, name), await invoke(buyer.key, name)]).toEqual([false, false]);
    return { buyer, seller, name, v1, v3 };
  }

  it("gives the provider runs, success rate, p50/p95 latency and revenue over every version", async () => {
    const s = await busyService();
    const res = await stats(s.v1, s.seller.key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const b = res.body;
    expect(b.service).toEqual({ id: s.v1, name: s.name, provider_id: s.seller.id });
    expect(b.since).toBeNull();
    expect(b.runs).toEqual({ total: 8, succeeded: 6, failed: 2, running: 0 });
    expect(b.success_rate).toBe(0.75);
    expect(b.latency_ms.samples).toBe(6);
    // Nearest rank: p50 is the 3rd of six (a fast one), p95 the 6th (the slow one).
    expect(b.latency_ms.p50).toBeLessThan(SLOW_MS);
    expect(b.latency_ms.p95).toBeGreaterThanOrEqual(SLOW_MS - 5);
    expect(b.revenue).toEqual([
      {
        asset: "USDC",
        settled_orders: 6,
        gross: { amount: "0.060000", amount_minor: "60000", asset: "USDC" },
        fee: { amount: "0.006000", amount_minor: "6000", asset: "USDC" },
        net: { amount: "0.054000", amount_minor: "54000", asset: "USDC" },
      },
    ]);
    // Any version's id names the same service.
    expect((await stats(s.v3, s.seller.key)).body.runs.total).toBe(8);
  });

  it("counts only what happened since `since`", async () => {
    const s = await busyService();
    const later = new Date(Date.now() + 60_000).toISOString();
    const res = await stats(s.v1, s.seller.key, `?since=${encodeURIComponent(later)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      since: later,
      runs: { total: 0, succeeded: 0, failed: 0, running: 0 },
      success_rate: null,
      latency_ms: { samples: 0, p50: null, p95: null },
      revenue: [],
    });
    expect((await stats(s.v1, s.seller.key, "?since=yesterday")).body.code).toBe(
      "VALIDATION_FAILED",
    );
  });

  it("lets the operator read any service's stats", async () => {
    const s = await busyService();
    const res = await stats(s.v1, t.adminKey);
    expect(res.status).toBe(200);
    expect(res.body.runs.total).toBe(8);
  });

  it("answers 404 to anyone but the provider and the operator, and 401 without a key", async () => {
    const s = await busyService();
    for (const key of [s.buyer.key, (await agent()).key]) {
      const res = await stats(s.v1, key);
      expect(res.status).toBe(404);
      expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe("CATALOG_SERVICE_NOT_FOUND");
    }
    expect((await stats(s.v1)).status).toBe(401);
    const unknown = await stats("svc_00000000000000000000000000", s.seller.key);
    expect([unknown.status, unknown.body.code]).toEqual([404, "CATALOG_SERVICE_NOT_FOUND"]);
  });

  it("is described in the OpenAPI document with its reply schema", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    const op = doc.paths["/api/v1/catalog/services/{id}/stats"]?.get;
    expect(op.operationId).toBe("getServiceStats");
    const schema = op.responses["200"].content["application/json"].schema;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["runs", "success_rate", "latency_ms", "revenue"]),
    );
  });
});
