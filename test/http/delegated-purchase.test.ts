import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PrivateKeyAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { newAccount } from "../../src/machines/testing.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const MINUTE = 60_000;
const INVOKE = "/capabilities/quarter-stats/analyze@v1/invoke";

/**
 * A paired agent spends its machine's (owner's) money only within the delegation policy, and
 * the limits bind when the money moves: per purchase, per UTC day, across concurrent calls.
 */
describeStores("purchases by a paired agent under its delegation policy", (store) => {
  // Half an hour before a UTC midnight: pairing tokens live an hour, so one outlives the day.
  const clock = manualClock(Date.UTC(2026, 10, 23, 23, 30));
  let t: TestHub;
  let provider: Server;
  let failing = false;
  let owner = { id: "", key: "" };
  let machineId = "";
  let serviceId = "";

  beforeAll(async () => {
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (failing) return res.writeHead(500).end("down");
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"ok":true}}');
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;
    t = await startTestHub({
      database: store.db,
      clock,
      config: { outbound_allow_hosts: ["127.0.0.1"] },
    });
    const seller = await register("sel");
    const published = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name: "quarter-stats",
        version: "1.0.0",
        skill_key: "text.stats",
        description: "text statistics for a quarter",
        company_name: "Quarter",
        execution_mode: "native",
        endpoints: [{ url, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.25" },
        rails: ["agx-ledger"],
      },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    serviceId = published.body.id;
    owner = await register("own");
    await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: newId("dep"), owner_id: owner.id, amount: "10", asset: "USDC" },
    });
    const controller = newAccount();
    const ref = `did:pkh:eip155:1:${controller.address}`;
    const c = await t.call("POST", "/api/v1/machine-identity/challenges", {
      key: owner.key,
      body: { identityRef: ref },
    });
    const m = await t.call("POST", "/api/v1/machines", {
      key: owner.key,
      body: {
        identityRef: ref,
        displayName: "Courier",
        identityProof: {
          challengeId: c.body.item.challengeId,
          signature: await controller.signMessage({ message: c.body.item.message }),
        },
      },
    });
    expect(m.status, JSON.stringify(m.body)).toBe(201);
    machineId = m.body.item.id;
  });
  afterAll(async () => {
    await t.close();
    provider.close();
  });
  afterEach(async () => {
    failing = false;
    const v = await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey });
    expect(v.body.failures).toEqual([]);
  });

  async function register(prefix: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `${prefix}${Math.random().toString(36).slice(2, 10)}` },
    });
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }

  /** Pairs a fresh agent key to the machine under `policy`; returns its pairing token. */
  async function pair(policy: Record<string, unknown>): Promise<{ token: string; id: string }> {
    const agent: PrivateKeyAccount = newAccount();
    const who = { agentAddress: agent.address, agentProvider: "anthropic", agentRole: "buyer" };
    const c = await t.call("POST", `/api/v1/machines/${machineId}/agent-pairings/challenges`, {
      key: owner.key,
      body: who,
    });
    const res = await t.call("POST", `/api/v1/machines/${machineId}/agent-pairings`, {
      key: owner.key,
      body: {
        ...who,
        agentProof: {
          challengeId: c.body.item.challengeId,
          signature: await agent.signMessage({ message: c.body.item.message }),
        },
        delegationPolicy: policy,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { token: res.body.item.pairingToken, id: res.body.item.id };
  }

  const invokeAs = (token: string) =>
    t.call("POST", INVOKE, {
      headers: { "x-agent-pairing-token": token },
      body: { input: { text: "hello" } },
    });
  const ownerAvailable = async () =>
    (await t.call("GET", "/api/v1/balances", { key: owner.key })).body.items.find(
      (a: { asset: string }) => a.asset === "USDC",
    ).available as string;
  const spent = async (token: string) =>
    (
      await t.call("GET", `/api/v1/machines/${machineId}/agent-session`, {
        headers: { "x-agent-pairing-token": token },
      })
    ).body.item;

  it("pays from the owner's funds when the policy allows it, and counts the spend", async () => {
    const { token } = await pair({ currency: "USDC", dailySpendLimit: "1.00" });
    const before = await ownerAvailable();
    const res = await invokeAs(token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.success).toBe(true);
    expect(Number(before) - Number(await ownerAvailable())).toBeCloseTo(0.25, 6);
    const session = await spent(token);
    expect(JSON.stringify(session)).toContain("0.250000");
  });

  it("refuses a skill the policy does not allow before any money moves", async () => {
    const { token } = await pair({ currency: "USDC", allowedSkillKeys: ["translate.*"] });
    const before = await ownerAvailable();
    const res = await invokeAs(token);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: "AGENT_POLICY_DENIED", reason: "skill" });
    expect(await ownerAvailable()).toBe(before);
  });

  it("refuses a purchase over the per-transaction limit", async () => {
    const { token } = await pair({ currency: "USDC", perTransactionLimit: "0.10" });
    const res = await invokeAs(token);
    expect(res.body).toMatchObject({ code: "AGENT_SPEND_LIMIT_EXCEEDED" });
  });

  it("lets 20 concurrent purchases spend at most the daily limit, and a new UTC day starts afresh", async () => {
    const { token } = await pair({ currency: "USDC", dailySpendLimit: "1.00" });
    const before = Number(await ownerAvailable());
    const results = await Promise.all(Array.from({ length: 20 }, () => invokeAs(token)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(4);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.body.code).toBe("AGENT_DAILY_LIMIT_EXCEEDED");
    }
    expect(before - Number(await ownerAvailable())).toBeCloseTo(1, 6);
    clock.advance(45 * MINUTE);
    expect((await invokeAs(token)).status).toBe(200);
  });

  it("gives the spend back when a failed call is refunded", async () => {
    const { token } = await pair({ currency: "USDC", totalBudget: "0.25" });
    failing = true;
    const failed = await invokeAs(token);
    expect(failed.body.success).toBe(false);
    failing = false;
    const again = await invokeAs(token);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.success).toBe(true);
    expect((await invokeAs(token)).body.code).toBe("AGENT_SPEND_LIMIT_EXCEEDED");
  });

  it("stops a revoked agent at once", async () => {
    const { token, id } = await pair({ currency: "USDC" });
    expect((await invokeAs(token)).status).toBe(200);
    const revoked = await t.call("DELETE", `/api/v1/machines/${machineId}/agent-pairings/${id}`, {
      key: owner.key,
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBeLessThan(300);
    const res = await invokeAs(token);
    expect(res.body.code).toBe("AGENT_PAIRING_INACTIVE");
  });

  it("creates and pays an order through the orders API with the token, and shows it only to that agent", async () => {
    const { token } = await pair({ currency: "USDC", dailySpendLimit: "1.00" });
    const headers = { "x-agent-pairing-token": token };
    const created = await t.call("POST", "/api/v1/market/orders", {
      headers,
      body: { service_id: serviceId, rail: "prepaid", input: { text: "hi" } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const intent = await t.call("POST", `/api/v1/market/orders/${id}/payment-intent`, { headers });
    expect(intent.status, JSON.stringify(intent.body)).toBe(200);
    const paid = await t.call("POST", `/api/v1/market/orders/${id}/payment`, { headers, body: {} });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.order.status).toBe("ready");
    const other = await pair({ currency: "USDC" });
    const stranger = await t.call("POST", `/api/v1/market/orders/${id}/payment-intent`, {
      headers: { "x-agent-pairing-token": other.token },
    });
    expect(stranger.body.code).toBe("ORDER_NOT_FOUND");
  });

  it("tells the owner by webhook when a pairing is made and revoked, never with its token", async () => {
    const endpoint = await t.call("POST", "/api/v1/webhooks", {
      key: owner.key,
      body: { url: "https://hooks.example.com/pairings", event_types: ["pairing.updated"] },
    });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    const { token, id } = await pair({ currency: "USDC" });
    await t.call("DELETE", `/api/v1/machines/${machineId}/agent-pairings/${id}`, {
      key: owner.key,
    });
    const deliveries = await t.call(
      "GET",
      `/api/v1/webhooks/${endpoint.body.endpoint.id}/deliveries?limit=10`,
      { key: owner.key },
    );
    expect(deliveries.body.items.map((d: { type: string }) => d.type)).toEqual([
      "pairing.updated",
      "pairing.updated",
    ]);
    const messages = await store.db.kysely
      .selectFrom("webhook_messages" as never)
      .selectAll()
      .execute();
    const text = JSON.stringify(messages, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).toContain(id);
    expect(text).toContain("revoked");
    expect(text).not.toContain(token);
  });

  it("lists what the machine's agents bought and got back, to its owner only", async () => {
    const { token } = await pair({ currency: "USDC" });
    const bought = await invokeAs(token);
    expect(bought.status).toBe(200);
    const res = await t.call("GET", `/api/v1/machines/${machineId}/outcomes?limit=100`, {
      key: owner.key,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const mine = res.body.items.find(
      (o: { orderId: string }) => o.orderId === bought.body.order_id,
    );
    expect(mine).toMatchObject({
      serviceId,
      skillKey: "text.stats",
      price: { amount: "0.250000", asset: "USDC" },
      result: { ok: true },
    });
    const stranger = await register("str");
    const hidden = await t.call("GET", `/api/v1/machines/${machineId}/outcomes`, {
      key: stranger.key,
    });
    expect(hidden.status).toBe(404);
  });

  it("searches for its machine: services the policy refuses are left out", async () => {
    const search = (token: string) =>
      t.call("POST", "/api/v1/market/search", {
        headers: { "x-agent-pairing-token": token },
        body: { query: "text statistics quarter", limit: 20 },
      });
    const names = (res: { body: { quotes: { service: { name: string } }[] } }) =>
      res.body.quotes.map((q) => q.service.name);
    const open = await pair({ currency: "USDC" });
    const all = await search(open.token);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(names(all)).toContain("quarter-stats");
    const narrow = await pair({ currency: "USDC", deniedServiceIds: [serviceId] });
    const some = await search(narrow.token);
    expect(some.status).toBe(200);
    expect(names(some)).not.toContain("quarter-stats");
    const cheap = await pair({ currency: "USDC", perTransactionLimit: "0.10" });
    expect(names(await search(cheap.token))).not.toContain("quarter-stats");
  });
});
