import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { publicKeyFromBase64, verifyReceiptV1 } from "../../src/aimp/index.ts";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const INVOKE = "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke";

describeStores("paid invoke (AI Market Protocol) on the hub's ledger", (store) => {
  let t: TestHub;
  let provider: Server;
  let providerUrl = "";
  let providerMode: "ok" | "fail" | "garbage" = "ok";

  beforeAll(async () => {
    provider = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        if (providerMode === "fail") return res.writeHead(500).end("boom");
        if (providerMode === "garbage")
          return res.writeHead(200, { "content-type": "text/html" }).end("<html>");
        const input = JSON.parse(body).input as { text: string };
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ result: { upper: input.text.toUpperCase() } }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;
    t = await startTestHub({
      database: store.db,
      config: { outbound_allow_hosts: ["127.0.0.1"], hub_fee_bps: 1000 },
    });
  });
  afterAll(async () => {
    await t.close();
    provider.close();
  });
  afterEach(async () => {
    const v = await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey });
    expect(v.body.failures).toEqual([]);
  });

  async function agent(funds?: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `inv${Math.random().toString(36).slice(2, 10)}` },
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

  it("answers an unpaid invoke with 402, X-Payment-Required and the same requirements as problem+json", async () => {
    const res = await t.call("POST", INVOKE, { body: { input: { text: "hello" } } });
    expect(res.status).toBe(402);
    const header = JSON.parse(String(res.headers["x-payment-required"]));
    expect(header).toMatchObject({ token: "USDC", chain: "agx-ledger" });
    expect(header.nonce).toMatch(/^pay_/);
    expect(res.body).toMatchObject({ code: "PAYMENT_REQUIRED", payment_required: header });
  });

  it("charges a funded key exactly once, returns the result with a signed AIMP receipt, and pays provider and fee", async () => {
    const buyer = await agent("1");
    const res = await t.call("POST", INVOKE, {
      key: buyer.key,
      body: { input: { text: "Agents trade skills. Machines pay." } },
    });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.result.words).toBe(5);
    const signer = (await t.call("GET", "/.well-known/ai-market.json")).body.signer_public_key;
    expect(verifyReceiptV1(res.body.receipt, publicKeyFromBase64(signer)).valid).toBe(true);
    expect(String(res.headers["peac-receipt"]).split(".")).toHaveLength(3);
    const price = BigInt(Math.round(res.body.price_usd * 1e6));
    expect(BigInt(await balance(buyer.key))).toBe(1_000_000n - price);
    const order = await t.call("GET", `/api/v1/market/orders/${res.body.order_id}`, {
      key: buyer.key,
    });
    expect(order.body.status).toBe("confirmed");
    expect(order.body.payment.status).toBe("released");
    expect(order.body.fee.amount_minor).toBe(String(price / 10n));
    expect(order.body.receipts.map((r: { kind: string }) => r.kind)).toEqual([
      "quote",
      "payment",
      "result",
      "settlement",
    ]);
    const chain = await t.call("POST", "/v1/verify", {
      body: { receipt: order.body.receipts[3].jws },
    });
    expect(chain.body.chain).toEqual({ ok: true, length: 4 });
  });

  it("replays a retried invoke with the same Idempotency-Key: same body, type and receipt, charged once", async () => {
    const buyer = await agent("1");
    const call = () =>
      t.hub.app.inject({
        method: "POST",
        url: INVOKE,
        headers: { authorization: `Bearer ${buyer.key}`, "idempotency-key": "retry-me-1" },
        payload: { input: { text: "once only" } },
      });
    const first = await call();
    const second = await call();
    expect(second.statusCode).toBe(200);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(String(second.headers["content-type"])).toContain("application/json");
    expect(second.headers["peac-receipt"]).toBe(first.headers["peac-receipt"]);
    expect(second.json()).toEqual(first.json());
    const price = BigInt(Math.round(first.json().price_usd * 1e6));
    expect(BigInt(await balance(buyer.key))).toBe(1_000_000n - price);
  });

  it("answers 402 when the balance does not cover the price, and moves nothing", async () => {
    const poor = await agent("0.000001");
    const res = await t.call("POST", INVOKE, {
      key: poor.key,
      body: { input: { text: "x".repeat(2000) } },
    });
    expect(res.status).toBe(402);
    expect(await balance(poor.key)).toBe("1");
  });

  it("debits an open channel per call and refunds the rest when the channel closes", async () => {
    const buyer = await agent("2");
    const opened = await t.call("POST", "/ai-market/channel/open", {
      key: buyer.key,
      body: { deposit: "1" },
    });
    expect(opened.status).toBe(201);
    const ch = opened.body.channel.channel_id;
    expect(await balance(buyer.key)).toBe("1000000");
    const a = await t.call("POST", INVOKE, {
      key: buyer.key,
      headers: { "x-payment-channel": ch },
      body: { input: { text: "one two" } },
    });
    const b = await t.call("POST", INVOKE, {
      key: buyer.key,
      headers: { "x-payment-channel": ch },
      body: { input: { text: "three" } },
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    const used = BigInt(Math.round((a.body.price_usd + b.body.price_usd) * 1e6));
    const closed = await t.call("POST", "/ai-market/channel/close", {
      key: buyer.key,
      body: { channel_id: ch },
    });
    expect(BigInt(Math.round(closed.body.settlement.used_usd * 1e6))).toBe(used);
    expect(BigInt(await balance(buyer.key))).toBe(2_000_000n - used);
    const again = await t.call("POST", "/ai-market/channel/close", {
      key: buyer.key,
      body: { channel_id: ch },
    });
    expect(again.body.code).toBe("CHANNEL_CLOSED");
    const late = await t.call("POST", INVOKE, {
      key: buyer.key,
      headers: { "x-payment-channel": ch },
      body: { input: { text: "x" } },
    });
    expect(late.body.code).toBe("CHANNEL_CLOSED");
  });

  it("refunds atomically when an HTTP provider fails or answers garbage", async () => {
    const seller = await agent();
    await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name: `upper-${seller.id.slice(-6)}`,
        version: "1.0.0",
        skill_key: "text.stats",
        description: "shouts",
        company_name: "Loud Inc",
        execution_mode: "native",
        endpoints: [{ url: providerUrl, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });
    const path = `/capabilities/upper-${seller.id.slice(-6)}/analyze@v1/invoke`;
    const buyer = await agent("1");
    providerMode = "ok";
    const ok = await t.call("POST", path, { key: buyer.key, body: { input: { text: "hey" } } });
    expect(ok.body.result).toEqual({ upper: "HEY" });
    expect(await balance(buyer.key)).toBe("990000");
    expect(await balance(seller.key)).toBe("9000");
    for (const mode of ["fail", "garbage"] as const) {
      providerMode = mode;
      const bad = await t.call("POST", path, { key: buyer.key, body: { input: { text: "hey" } } });
      expect(bad.status).toBe(200);
      expect(bad.body.success).toBe(false);
      expect(await balance(buyer.key)).toBe("990000");
      const order = await t.call("GET", `/api/v1/market/orders/${bad.body.order_id}`, {
        key: buyer.key,
      });
      expect(order.body).toMatchObject({ status: "failed", payment: { status: "refunded" } });
      expect(order.body.receipts.at(-1).kind).toBe("refund");
    }
    providerMode = "ok";
  });
});
