import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PaymentRequired, SettleResponse } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createHub, type Hub } from "../../src/main.ts";
import { decodeHeaderJson } from "../../src/x402/index.ts";
import { buyer, post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";

// Started while collecting, so a machine without anvil skips the suite visibly.
const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/**
 * The hub's own paid route, `POST /capabilities/{product}/{capability}/invoke`, paid by a real
 * @x402/fetch client on a real chain (anvil + FiatToken), settled by the hub's in-process
 * facilitator, and booked on the hub's ledger exactly once.
 */
run("x402 on the hub's invoke route (real chain, in-process facilitator)", () => {
  let hub: Hub;
  let url = "";
  let provider: Server;
  let failing = false;
  let providerCalls = 0;
  let admin = "";
  let sellerKey = "";
  let sellerHook = "";
  const PRICE = 20_000n; // 0.02 USDC

  beforeAll(async () => {
    const c = need();
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        providerCalls++;
        if (failing) return res.writeHead(500).end("down");
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"n":42}}');
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;
    hub = await createHub(
      loadConfig({
        env: {},
        overrides: {
          env: "test",
          log_level: "silent",
          port: 0,
          host: "127.0.0.1",
          data_dir: (await import("node:fs")).mkdtempSync(
            `${(await import("node:os")).tmpdir()}/agx-x402-`,
          ),
          outbound_allow_hosts: ["127.0.0.1"],
          hub_fee_bps: 1000,
          x402_pay_to: c.accounts.payee.address,
          x402_network: c.network,
          x402_asset: c.token,
          x402_rpc_url: c.rpc_url,
          x402_gas_key: c.gas_key,
        },
      }),
    );
    admin = hub.first_admin_key ?? "";
    url = await hub.listen();
    const seller = (await (
      await post(`${url}/api/agents/register`, { handle: "x402seller" })
    ).json()) as { apiKey: string };
    const published = await fetch(`${url}/api/v1/catalog/services`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${seller.apiKey}` },
      body: JSON.stringify({
        name: "answer-x402",
        version: "1.0.0",
        skill_key: "text.stats",
        description: "the answer, paid with x402",
        company_name: "Deep Thought",
        execution_mode: "native",
        endpoints: [{ url: providerUrl, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.02" },
        rails: ["agx-ledger"],
      }),
    });
    expect(published.status).toBe(201);
    sellerKey = seller.apiKey;
    const hook = await fetch(`${url}/api/v1/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sellerKey}` },
      body: JSON.stringify({ url: "https://hooks.example.com/x402", event_types: ["x402.*"] }),
    });
    sellerHook = ((await hook.json()) as { endpoint: { id: string } }).endpoint.id;
  });
  afterAll(async () => {
    await hub?.close();
    provider?.close();
    await chain?.stop();
  });

  const invokeUrl = () => `${url}/capabilities/answer-x402/analyze@v1/invoke`;
  const ledgerOk = async () => {
    const v = await fetch(`${url}/api/v1/admin/ledger/verify`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    return (await v.json()) as { ok: boolean; failures: unknown[] };
  };

  it("answers an unpaid call with 402: PAYMENT-REQUIRED for x402 clients and the AIMP requirements", async () => {
    const c = need();
    const res = await post(invokeUrl(), { input: { text: "x" } });
    expect(res.status).toBe(402);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const required = decodeHeaderJson<PaymentRequired>(res.headers.get("payment-required") ?? "");
    expect(required.accepts[0]).toMatchObject({
      scheme: "exact",
      network: c.network,
      amount: PRICE.toString(),
      asset: c.token,
      payTo: c.accounts.payee.address,
    });
    expect(res.headers.get("x-payment-required")).toBeTruthy();
  });

  it("takes a real @x402/fetch payment: runs the work, settles once, books the money and pays the provider", async () => {
    const c = need();
    const { buyer: from, payee } = c.accounts;
    const before = [await c.balanceOf(from.address), await c.balanceOf(payee.address)];
    const res = await buyer(c, from).post(invokeUrl(), { input: { text: "x" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { order_id: string };
    expect(body).toMatchObject({ success: true, result: { n: 42 }, price_usd: 0.02 });
    const settled = decodeHeaderJson<SettleResponse>(res.headers.get("payment-response") ?? "");
    expect(settled).toMatchObject({ success: true, payer: from.address, network: c.network });
    expect(await c.balanceOf(from.address)).toBe((before[0] ?? 0n) - PRICE);
    expect(await c.balanceOf(payee.address)).toBe((before[1] ?? 0n) + PRICE);
    const order = hub.ctx.orders;
    const stored = await order.get(hub.ctx.db.kysely, body.order_id);
    expect(stored).toMatchObject({ status: "confirmed", rail: "x402" });
    const payment = await order.paymentOf(hub.ctx.db.kysely, body.order_id);
    expect(payment).toMatchObject({ status: "released", verification: "ledger" });
    expect(payment.proof).toMatchObject({ tx_hash: settled.transaction });
    const deliveries = await fetch(`${url}/api/v1/webhooks/${sellerHook}/deliveries`, {
      headers: { authorization: `Bearer ${sellerKey}` },
    });
    const types = ((await deliveries.json()) as { items: { type: string }[] }).items.map(
      (d) => d.type,
    );
    expect(types).toContain("x402.settled");
    expect(await ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("does not settle when the work fails: the buyer keeps the money and nothing is booked", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.buyer.address);
    failing = true;
    try {
      const res = await buyer(c, c.accounts.buyer).post(invokeUrl(), { input: { text: "x" } });
      const body = (await res.json()) as { success: boolean };
      expect(body.success).toBe(false);
      expect(res.headers.get("payment-response")).toBeNull();
    } finally {
      failing = false;
    }
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
    expect(await ledgerOk()).toMatchObject({ ok: true });
  });

  it("refuses a replayed payment header: its authorization was used on chain", async () => {
    const c = need();
    const paying = buyer(c, c.accounts.buyer);
    expect((await paying.post(invokeUrl(), { input: { text: "once" } })).status).toBe(200);
    const header = paying.sent.at(-1)?.get("payment-signature") ?? "";
    expect(header).not.toBe("");
    const before = await c.balanceOf(c.accounts.buyer.address);
    const again = await post(
      invokeUrl(),
      { input: { text: "once" } },
      { "payment-signature": header },
    );
    expect(again.status).toBe(402);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("settles 100 concurrent paid calls through one gas wallet: each paid and run once, no nonce collisions", async () => {
    const c = need();
    const N = 100;
    const before = await c.balanceOf(c.accounts.payee.address);
    const calls = providerCalls;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        buyer(c, c.accounts.buyer).post(invokeUrl(), { input: { text: `n${i}` } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    const hashes = new Set(
      results.map(
        (r) =>
          decodeHeaderJson<SettleResponse>(r.headers.get("payment-response") ?? "").transaction,
      ),
    );
    // One settlement per call (no double settlement, no nonce collision dropping one) …
    expect(hashes.size).toBe(N);
    // … exactly the price of N calls moved on chain, and the provider ran exactly N times.
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + BigInt(N) * PRICE);
    expect(providerCalls - calls).toBe(N);
    expect(await ledgerOk()).toMatchObject({ ok: true, failures: [] });
  }, 120_000);

  describe("on-chain deposits proven by a transaction hash", () => {
    const register = async (handle: string) =>
      (await (await post(`${url}/api/agents/register`, { handle })).json()) as {
        apiKey: string;
        agent: { id: string };
      };
    const call = (key: string, path: string, body: Record<string, unknown>) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    const deposit = (key: string, body: Record<string, unknown>) =>
      call(key, "/api/v1/deposits/onchain", body);
    const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code;
    /** Proves control of `account`'s address to the hub (a key binding). */
    const bind = async (
      key: string,
      account: { address: string; signMessage: (a: { message: string }) => Promise<string> },
    ) => {
      const challenge = (await (
        await call(key, "/api/v1/key-bindings/challenges", { key: account.address })
      ).json()) as { item: { challengeId: string; message: string } };
      const signature = await account.signMessage({ message: challenge.item.message });
      const bound = await call(key, "/api/v1/key-bindings", {
        challengeId: challenge.item.challengeId,
        signature,
      });
      expect(bound.status).toBe(201);
    };
    const available = async (key: string) => {
      const res = await fetch(`${url}/api/v1/balances`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const items = ((await res.json()) as { items: { asset: string; available: string }[] }).items;
      return items.find((a) => a.asset === "USDC")?.available ?? "0";
    };

    it("credits a verified transfer from the caller's own address once; nobody else can claim it", async () => {
      const c = need();
      const alice = await register("chainalice");
      const hash = await c.transfer(c.accounts.buyer, c.accounts.payee.address, 1_500_000n);
      const proof = { tx_hash: hash, from: c.accounts.buyer.address, amount: "1.5" };
      const bob = await register("chainbob");
      const stolen = await deposit(bob.apiKey, proof);
      expect(stolen.status).toBe(403);
      expect(await available(bob.apiKey)).toBe("0");
      await bind(alice.apiKey, c.accounts.buyer);
      const first = await deposit(alice.apiKey, proof);
      expect(first.status).toBe(201);
      expect(await first.json()).toMatchObject({ deposit: "created", tx_hash: hash });
      expect(await available(alice.apiKey)).toBe("1.500000");
      const again = await deposit(alice.apiKey, proof);
      expect(again.status).toBe(200);
      expect(await available(alice.apiKey)).toBe("1.500000");
      expect(await ledgerOk()).toMatchObject({ ok: true });
    });

    it("never credits an x402 settlement's transaction again as a deposit", async () => {
      const c = need();
      const paid = await buyer(c, c.accounts.buyer).post(invokeUrl(), { input: { text: "x" } });
      expect(paid.status).toBe(200);
      const tx = decodeHeaderJson<SettleResponse>(
        paid.headers.get("payment-response") ?? "",
      ).transaction;
      const alice = await register("chainalice2");
      const again = await deposit(alice.apiKey, {
        tx_hash: tx,
        from: c.accounts.buyer.address,
        amount: "0.02",
      });
      // The buyer address is bound to the first alice; this one may not claim it at all.
      expect(again.status).toBe(403);
      const owner = await register("chainowner");
      await bind(owner.apiKey, c.accounts.spare);
      await c.mint(c.accounts.spare.address, 1_000_000n);
      const own = await buyer(c, c.accounts.spare).post(invokeUrl(), { input: { text: "y" } });
      expect(own.status).toBe(200);
      const ownTx = decodeHeaderJson<SettleResponse>(
        own.headers.get("payment-response") ?? "",
      ).transaction;
      const twice = await deposit(owner.apiKey, {
        tx_hash: ownTx,
        from: c.accounts.spare.address,
        amount: "0.02",
      });
      expect(twice.status).toBe(409);
      expect(await codeOf(twice)).toBe("PAYMENT_TX_ALREADY_USED");
      expect(await available(owner.apiKey)).toBe("0");
    });

    it("refuses a proof whose amount is not what the chain shows, or a transaction never mined", async () => {
      const c = need();
      const carol = await register("chaincarol");
      await bind(carol.apiKey, c.accounts.other);
      await c.mint(c.accounts.other.address, 1_000_000n);
      const hash = await c.transfer(c.accounts.other, c.accounts.payee.address, 300_000n);
      const wrongAmount = await deposit(carol.apiKey, {
        tx_hash: hash,
        from: c.accounts.other.address,
        amount: "3",
      });
      expect(await codeOf(wrongAmount)).toBe("PAYMENT_TRANSFER_NOT_FOUND");
      const unknown = await deposit(carol.apiKey, {
        tx_hash: `0x${"ab".repeat(32)}`,
        from: c.accounts.other.address,
        amount: "0.3",
      });
      expect(await codeOf(unknown)).toBe("PAYMENT_NOT_MINED");
      expect(await available(carol.apiKey)).toBe("0");
    });
  });
});
