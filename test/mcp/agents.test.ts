import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { newAccount } from "../../src/machines/testing.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

const TOOL = "quarter-mcp.analyze_v1";

/**
 * /mcp takes the REST API's credentials: a paired agent's `x-agent-pairing-token` spends its
 * machine owner's funds under the pairing's delegation policy, and a caller with no credential
 * may look around but pays nothing without an x402 payment (test/mcp/x402.test.ts pays).
 */
describe("MCP for paired agents and callers without a key", () => {
  let t: TestHub;
  let url = "";
  let provider: Server;
  let owner = { id: "", key: "" };
  let machineId = "";
  const clients: Client[] = [];

  beforeAll(async () => {
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"ok":true}}'),
      );
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;
    t = await startTestHub({ config: { outbound_allow_hosts: ["127.0.0.1"] } });
    url = await t.hub.listen();
    const seller = await register("sel");
    const published = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name: "quarter-mcp",
        version: "1.0.0",
        skill_key: "text.stats",
        description: "text statistics for a quarter, over MCP",
        company_name: "Quarter",
        execution_mode: "native",
        endpoints: [{ url: endpoint, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.25" },
        rails: ["agx-ledger"],
      },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
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
    for (const c of clients) await c.close();
    await t.close();
    provider.close();
  });

  async function register(prefix: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `${prefix}${Math.random().toString(36).slice(2, 10)}` },
    });
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }

  async function pair(policy: Record<string, unknown>) {
    const agent = newAccount();
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
    return { token: res.body.item.pairingToken as string, id: res.body.item.id as string };
  }

  async function connect(headers: Record<string, string>): Promise<Client> {
    const client = new Client({ name: "mcp-agent", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
    );
    clients.push(client);
    return client;
  }

  const ownerAvailable = async () =>
    (await t.call("GET", "/api/v1/balances", { key: owner.key })).body.items.find(
      (a: { asset: string }) => a.asset === "USDC",
    ).available as string;

  it("lets a paired agent invoke with its pairing token, paid from the owner's funds and counted against its policy", async () => {
    const { token, id } = await pair({ currency: "USDC", dailySpendLimit: "1.00" });
    const agent = await connect({ "x-agent-pairing-token": token });
    const before = Number(await ownerAvailable());
    const call = await agent.callTool({ name: TOOL, arguments: { text: "hello" } });
    expect(call.isError, JSON.stringify(call.structuredContent)).toBeFalsy();
    const out = call.structuredContent as { order_id: string; result: unknown };
    expect(out.result).toEqual({ ok: true });
    expect(before - Number(await ownerAvailable())).toBeCloseTo(0.25, 6);

    const status = await agent.callTool({
      name: "order_status",
      arguments: { order_id: out.order_id },
    });
    expect(status.isError).toBeFalsy();
    const order = await t.hub.ctx.orders.get(t.hub.ctx.db.kysely, out.order_id);
    expect(order).toMatchObject({ buyer_id: owner.id, pairing_id: id });

    const balance = await agent.callTool({ name: "balance", arguments: {} });
    const pairing = (balance.structuredContent as { pairing: Record<string, unknown> }).pairing;
    expect(pairing.id).toBe(id);
    expect(JSON.stringify(pairing)).toContain("0.250000");
  });

  it("refuses a paired agent's purchase beyond its policy, before any money moves", async () => {
    const { token } = await pair({ currency: "USDC", perTransactionLimit: "0.10" });
    const agent = await connect({ "x-agent-pairing-token": token });
    const before = await ownerAvailable();
    const call = await agent.callTool({ name: TOOL, arguments: { text: "hello" } });
    expect(call.isError).toBe(true);
    expect(call.structuredContent).toMatchObject({ code: "AGENT_SPEND_LIMIT_EXCEEDED" });
    expect(await ownerAvailable()).toBe(before);
  });

  it("keeps a paired agent away from other buyers' orders and from key-only tools", async () => {
    const { token } = await pair({ currency: "USDC" });
    const agent = await connect({ "x-agent-pairing-token": token });
    const buyer = await register("buy");
    await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: newId("dep"), owner_id: buyer.id, amount: "1", asset: "USDC" },
    });
    const bought = await t.call("POST", `/capabilities/quarter-mcp/analyze@v1/invoke`, {
      key: buyer.key,
      body: { input: { text: "mine" } },
    });
    expect(bought.status, JSON.stringify(bought.body)).toBe(200);
    const peek = await agent.callTool({
      name: "order_status",
      arguments: { order_id: bought.body.order_id },
    });
    expect(peek.structuredContent).toMatchObject({ code: "ORDER_NOT_FOUND" });
    const pipeline = await agent.callTool({
      name: "pipeline",
      arguments: {
        nodes: [{ id: "a", product_id: "quarter-mcp", capability_id: "analyze@v1", input: {} }],
      },
    });
    expect(pipeline.structuredContent).toMatchObject({ code: "FORBIDDEN" });
  });

  it("stops a revoked pairing's token at the door with a 401 problem", async () => {
    const { token, id } = await pair({ currency: "USDC" });
    await connect({ "x-agent-pairing-token": token });
    const revoked = await t.call("DELETE", `/api/v1/machines/${machineId}/agent-pairings/${id}`, {
      key: owner.key,
    });
    expect(revoked.status).toBeLessThan(300);
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "x-agent-pairing-token": token,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("AGENT_PAIRING_INACTIVE");
  });

  it("lets a caller without credentials list and search, but not spend, quote or read balances", async () => {
    const anon = await connect({});
    const { tools } = await anon.listTools();
    expect(tools.map((x) => x.name)).toContain(TOOL);
    const found = await anon.callTool({ name: "search", arguments: { query: "statistics" } });
    expect(found.isError).toBeFalsy();
    const results = (found.structuredContent as { results: { quote: unknown }[] }).results;
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.quote === null)).toBe(true);
    const paid = await anon.callTool({ name: TOOL, arguments: { text: "free?" } });
    expect(paid.isError).toBe(true);
    expect(paid.structuredContent).toMatchObject({ code: "PAYMENT_REQUIRED" });
    const balance = await anon.callTool({ name: "balance", arguments: {} });
    expect(balance.structuredContent).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("still refuses an unknown API key with 401", async () => {
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: "Bearer sk_agx_not_a_real_key_0000000000000000",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
  });
});
