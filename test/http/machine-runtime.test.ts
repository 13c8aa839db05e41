import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { machineLimits } from "../../src/machines/index.ts";
import { newAccount } from "../../src/machines/testing.ts";
import { type LoopbackServer, startLoopbackServer } from "../../src/net/testing.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

describeStores("native services on a machine's runtime endpoint", (store) => {
  const clock = manualClock();
  let t: TestHub;
  let runtime: LoopbackServer;
  const calls: { authorization: string | undefined; input: unknown }[] = [];

  beforeAll(async () => {
    runtime = await startLoopbackServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const { input } = JSON.parse(body) as { input: { text: string } };
        calls.push({ authorization: req.headers.authorization, input });
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ result: { upper: input.text.toUpperCase() } }));
      });
    });
    t = await startTestHub({ database: store.db, clock, config: { hub_fee_bps: 1000 } });
  });
  afterAll(async () => {
    await t.close();
    await runtime.close();
  });
  afterEach(async () => {
    const v = await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey });
    expect(v.body.failures).toEqual([]);
  });

  async function principal(funds?: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `mrt${Math.random().toString(36).slice(2, 10)}` },
    });
    if (funds) {
      await t.call("POST", "/api/v1/admin/deposits", {
        key: t.adminKey,
        body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
      });
    }
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }
  const balance = async (key: string) =>
    ((await t.call("GET", "/api/v1/balances", { key })).body.items.find(
      (a: { kind: string }) => a.kind === "available",
    )?.balance_minor ?? "0") as string;

  /** An owner's active machine with a runtime agent that leased `vision` on the loopback server. */
  async function machineWithRuntime(ownerKey: string) {
    const wallet = newAccount();
    const identityRef = `did:pkh:eip155:3338:${wallet.address}`;
    const c = await t.call("POST", "/api/v1/machine-identity/challenges", {
      key: ownerKey,
      body: { identityRef },
    });
    const signature = await wallet.signMessage({ message: c.body.item.message });
    const m = await t.call("POST", "/api/v1/machines", {
      key: ownerKey,
      body: {
        identityRef,
        displayName: "Edge box",
        identityProof: { challengeId: c.body.item.challengeId, signature },
      },
    });
    expect(m.status).toBe(201);
    const id = m.body.item.id as string;
    const enrol = await t.call("POST", `/api/v1/machines/${id}/agents/enrollment`, {
      key: ownerKey,
    });
    const beat = await t.call("POST", "/api/v1/machine-agents/heartbeat", {
      headers: { "x-machine-agent-token": enrol.body.agentToken },
      body: {
        endpoints: [
          {
            providerKey: "vision",
            url: `${runtime.origin}/run`,
            networkScope: "private",
            authToken: "edge-secret",
          },
        ],
      },
    });
    expect(beat.status).toBe(200);
    return id;
  }

  const publish = (key: string, name: string, url: string) =>
    t.call("POST", "/api/v1/catalog/services", {
      key,
      body: {
        name,
        version: "1.0.0",
        skill_key: "text.stats",
        description: "shouts, on the edge",
        company_name: "Edge Inc",
        execution_mode: "native",
        endpoints: [{ url, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });

  const orderOf = (key: string, id: string) =>
    t.call("GET", `/api/v1/market/orders/${id}`, { key });

  it("runs a paid invoke through the machine's live private endpoint with its bearer token, and refunds once the lease lapses", async () => {
    const owner = await principal();
    const machine = await machineWithRuntime(owner.key);
    const name = `edge-${owner.id.slice(-8)}`;
    const published = await publish(owner.key, name, `machine://${machine}/vision`);
    expect(published.status).toBe(201);
    const buyer = await principal("1");
    const path = `/capabilities/${name}/analyze@v1/invoke`;
    calls.length = 0;
    const ok = await t.call("POST", path, { key: buyer.key, body: { input: { text: "hey" } } });
    expect(ok.status).toBe(200);
    expect(ok.body.result).toEqual({ upper: "HEY" });
    expect(calls).toEqual([{ authorization: "Bearer edge-secret", input: { text: "hey" } }]);
    expect(await balance(buyer.key)).toBe("990000");
    expect(await balance(owner.key)).toBe("9000");

    clock.advance(machineLimits.runtime_lease_ms);
    const late = await t.call("POST", path, { key: buyer.key, body: { input: { text: "hey" } } });
    expect(late.status).toBe(200);
    expect(late.body.success).toBe(false);
    expect(calls).toHaveLength(1);
    expect(await balance(buyer.key)).toBe("990000");
    const order = await orderOf(buyer.key, late.body.order_id);
    expect(order.body).toMatchObject({ status: "failed", payment: { status: "refunded" } });
    expect(order.body.receipts.at(-1).kind).toBe("refund");
  });

  it("refunds calls while the machine is not active, and serves again once it recovers", async () => {
    const owner = await principal();
    const machine = await machineWithRuntime(owner.key);
    const name = `deg-${owner.id.slice(-8)}`;
    expect((await publish(owner.key, name, `machine://${machine}/vision`)).status).toBe(201);
    const setStatus = (status: string) =>
      t.call("PATCH", `/api/v1/machines/${machine}`, { key: owner.key, body: { status } });
    expect((await setStatus("degraded")).status).toBe(200);
    const buyer = await principal("1");
    const path = `/capabilities/${name}/analyze@v1/invoke`;
    calls.length = 0;
    const refused = await t.call("POST", path, { key: buyer.key, body: { input: { text: "a" } } });
    expect(refused.body.success).toBe(false);
    expect(calls).toEqual([]);
    expect(await balance(buyer.key)).toBe("1000000");
    expect((await setStatus("active")).status).toBe(200);
    const served = await t.call("POST", path, { key: buyer.key, body: { input: { text: "a" } } });
    expect(served.body.result).toEqual({ upper: "A" });
  });

  it("refuses a service naming someone else's machine, or a malformed machine URL", async () => {
    const owner = await principal();
    const machine = await machineWithRuntime(owner.key);
    const stranger = await principal();
    const name = `theft-${stranger.id.slice(-8)}`;
    const stolen = await publish(stranger.key, name, `machine://${machine}/vision`);
    expect([stolen.status, stolen.body.code]).toEqual([404, "MACHINE_NOT_FOUND"]);
    const byAdmin = await publish(t.adminKey, `${name}-a`, `machine://${machine}/vision`);
    expect(byAdmin.body.code).toBe("MACHINE_NOT_FOUND");
    const malformed = await publish(owner.key, `${name}-m`, `machine://${machine}/Vision/x`);
    expect([malformed.status, malformed.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    expect(malformed.body.errors[0].pointer).toBe("/endpoints/0/url");
    const listed = await t.call("GET", `/api/v1/catalog/services?provider=${stranger.id}`);
    expect(listed.body.items).toEqual([]);
  });

  it("refuses a public-scope endpoint on a private address, at registration and at call time", async () => {
    const owner = await principal();
    const machine = await machineWithRuntime(owner.key);
    const put = await t.call("PUT", `/api/v1/machines/${machine}/runtime-endpoints/open`, {
      key: owner.key,
      body: { url: `${runtime.origin}/run`, networkScope: "public" },
    });
    expect(put.body.code).toBe("NET_URL_BLOCKED");
    const name = `pub-${owner.id.slice(-8)}`;
    expect((await publish(owner.key, name, `machine://${machine}/vision`)).status).toBe(201);
    // As if a public name had resolved to a private address after it was registered.
    await store.db.kysely
      .updateTable("machine_runtime_endpoints" as never)
      .set({
        url: `https://127.0.0.1:${runtime.port}/run`,
        network_scope: "public",
        lease_expires_at_ms: null,
      } as never)
      .where("machine_id" as never, "=", machine as never)
      .execute();
    const buyer = await principal("1");
    calls.length = 0;
    const res = await t.call("POST", `/capabilities/${name}/analyze@v1/invoke`, {
      key: buyer.key,
      body: { input: { text: "hey" } },
    });
    expect(res.body.success).toBe(false);
    expect(calls).toEqual([]);
    expect(await balance(buyer.key)).toBe("1000000");
    const order = await orderOf(buyer.key, res.body.order_id);
    expect(order.body.payment.status).toBe("refunded");
    expect(order.body.runs[0]).toMatchObject({ route: "machine", error: /loopback address/ });
  });
});
