import type { SettleResponse } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHeaderJson, getPendingSettlement } from "../../src/x402/index.ts";
import { describeStores } from "../support/stores.ts";
import { buyer, countingRpcProxy, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
afterAll(async () => {
  await chain?.stop();
});
const need = (): X402Chain => chain as X402Chain;
const stores = chain ? describeStores : (title: string) => describe.skip(title, () => {});

/**
 * x402 paying for work that runs in the hub's process (a built-in skill): the settlement's gas
 * estimate starts as the work begins, and on SQLite the order, its payment and the work's
 * outcome commit in one transaction. Same outcome as any x402 call: result only once settled,
 * money booked once, one estimate per payment.
 */
stores("x402 paying a built-in skill", (store) => {
  let h: X402Hub;
  let rpc: Awaited<ReturnType<typeof countingRpcProxy>>;
  const PRICE = 20_000n;

  beforeAll(async () => {
    const c = need();
    // Counts the hub's JSON-RPC calls on their way to anvil.
    rpc = await countingRpcProxy(c.rpc_url);
    h = await startX402Hub(c, {
      database: store.db,
      name: "stats-x402",
      price: "0.02",
      endpoint_url: "builtin:text.stats#analyze",
      overrides: { x402_rpc_url: rpc.url },
    });
  });
  afterAll(async () => {
    await h?.close();
    rpc?.close();
  });

  it("runs the skill, settles once with one gas estimate, books the money and confirms the order", async () => {
    const c = need();
    const { buyer: from, payee } = c.accounts;
    const before = [await c.balanceOf(from.address), await c.balanceOf(payee.address)];
    rpc.methods.length = 0;
    const res = await buyer(c, from).post(h.invokeUrl, { input: { text: "Agents pay per call." } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { order_id: string; success: boolean; result: unknown };
    expect(body.success).toBe(true);
    expect(body.result).toMatchObject({ words: 4 });
    const settled = decodeHeaderJson<SettleResponse>(res.headers.get("payment-response") ?? "");
    expect(settled).toMatchObject({ success: true, payer: from.address, network: c.network });
    expect(rpc.count("eth_estimateGas")).toBe(1);
    expect(rpc.count("eth_sendRawTransaction")).toBe(1);
    expect(await c.balanceOf(from.address)).toBe((before[0] ?? 0n) - PRICE);
    expect(await c.balanceOf(payee.address)).toBe((before[1] ?? 0n) + PRICE);
    const db = h.hub.ctx.db.kysely;
    expect(await h.hub.ctx.orders.get(db, body.order_id)).toMatchObject({
      status: "confirmed",
      rail: "x402",
    });
    const runs = await h.hub.ctx.orders.runs(db, { order_id: body.order_id }, 10);
    expect(runs.map((r) => r.status)).toEqual(["succeeded"]);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("refuses input the skill cannot take before anything is written or settled", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.buyer.address);
    rpc.methods.length = 0;
    const res = await buyer(c, c.accounts.buyer).post(h.invokeUrl, { input: { text: 42 } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(rpc.count("eth_sendRawTransaction")).toBe(0);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
    expect(await h.ledgerOk()).toMatchObject({ ok: true });
  });

  it("refunds work the skill refuses as it runs: the order fails, nothing is broadcast, nothing is left to reconcile", async () => {
    const c = need();
    const name = `digest-x402-${store.kind}`;
    const published = await fetch(`${h.url}/api/v1/catalog/services`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${h.seller.apiKey}` },
      body: JSON.stringify({
        name,
        version: "1.0.0",
        skill_key: "hash.digest",
        description: "sha256, paid on chain",
        company_name: "Digests",
        execution_mode: "native",
        endpoints: [{ url: "builtin:hash.digest#digest", method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.02" },
        rails: ["agx-ledger", "offchain-record"],
      }),
    });
    expect(published.status).toBe(201);
    const before = await c.balanceOf(c.accounts.buyer.address);
    rpc.methods.length = 0;
    // Valid by the schema, refused by the skill: base64 that is not canonical.
    const input = { algorithm: "sha256", data: "@@@@", encoding: "base64" };
    const res = await buyer(c, c.accounts.buyer).post(
      `${h.url}/capabilities/${name}/digest@v1/invoke`,
      { input },
    );
    const body = (await res.json()) as { order_id?: string; success?: boolean };
    // The invoke answers its own shape: a failed call, with the order's id.
    expect([res.status, body.success]).toEqual([200, false]);
    expect(res.headers.get("payment-response")).toBeNull();
    expect(rpc.count("eth_sendRawTransaction")).toBe(0);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
    const db = h.hub.ctx.db.kysely;
    const order_id = body.order_id as string;
    expect(order_id).toMatch(/^ord_/);
    const order = await h.hub.ctx.orders.get(db, order_id);
    const payment = await h.hub.ctx.orders.paymentOf(db, order_id);
    expect([order.status, payment.status]).toEqual(["failed", "refunded"]);
    expect(await getPendingSettlement(db, order_id)).toMatchObject({ state: "released" });
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});
