import type { PaymentRequired } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHeaderJson } from "../../src/x402/index.ts";
import { post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/** A chain this hub is configured for whose RPC refuses every connection. */
const DEAD_CHAIN = "eip155:999";

/**
 * peaq's wdk-usdt-transfer rail on the AIMP invoke (`X-Payment: {"tx_hash","chain"}`) and on
 * orders: the buyer sends the token to the hub itself, agx reads the receipt over RPC (real anvil,
 * real FiatToken), claims the hash once, then runs the call.
 */
run("calls and orders paid with a transaction hash (wdk-usdt-transfer)", () => {
  let h: X402Hub;
  const PRICE = 50_000n; // 0.05 USDC
  type Account = { address: string; signMessage: (a: { message: string }) => Promise<string> };

  beforeAll(async () => {
    h = await startX402Hub(need(), {
      name: "answer-txi",
      price: "0.05",
      overrides: {
        evm_rpc_urls: { [DEAD_CHAIN]: "http://127.0.0.1:9" },
        evm_tokens: { [`${DEAD_CHAIN}/USDC`]: need().token },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await chain?.stop();
  });

  const call = (key: string | null, path: string, body: unknown = {}, headers = {}) =>
    fetch(`${h.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const invoke = (key: string | null, headers: Record<string, string> = {}) =>
    call(key, new URL(h.invokeUrl).pathname, { input: { text: "x" } }, headers);
  const xPayment = (tx_hash: string, chainId: string = need().network) => ({
    "x-payment": JSON.stringify({ tx_hash, chain: chainId }),
  });
  async function register(handle: string) {
    const r = await post(`${h.url}/api/agents/register`, { handle });
    return ((await r.json()) as { apiKey: string }).apiKey;
  }
  async function bind(key: string, account: Account) {
    const res = await call(key, "/api/v1/key-bindings/challenges", { key: account.address });
    const c = ((await res.json()) as { item: { challengeId: string; message: string } }).item;
    const signature = await account.signMessage({ message: c.message });
    const bound = await call(key, "/api/v1/key-bindings", {
      challengeId: c.challengeId,
      signature,
    });
    expect(bound.status).toBe(201);
  }
  const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code;
  const statusAndCode = async (res: Response) => [res.status, await codeOf(res)];
  async function available(key: string): Promise<string> {
    const res = await fetch(`${h.url}/api/v1/balances`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const items = ((await res.json()) as { items: { asset: string; available: string }[] }).items;
    return items.find((a) => a.asset === "USDC")?.available ?? "0";
  }

  it("answers a key without funds with 402 carrying PAYMENT-REQUIRED when x402 is on", async () => {
    const c = need();
    const key = await register("broke");
    const res = await invoke(key);
    expect(res.status).toBe(402);
    const required = decodeHeaderJson<PaymentRequired>(res.headers.get("payment-required") ?? "");
    expect(required.accepts[0]).toMatchObject({
      scheme: "exact",
      network: c.network,
      amount: PRICE.toString(),
      payTo: c.accounts.payee.address,
    });
    expect(res.headers.get("x-payment-required")).toBeTruthy();
    const body = (await res.json()) as { code: string; x402Version: number; accepts: unknown[] };
    expect(body).toMatchObject({ code: "PAYMENT_REQUIRED", x402Version: 2 });
    expect(body.accepts).toHaveLength(1);
  });

  it("runs a call paid with X-Payment {tx_hash, chain} once; the same hash never pays again", async () => {
    const c = need();
    const key = await register("txcaller");
    await bind(key, c.accounts.buyer);
    const hash = await c.transfer(c.accounts.buyer, c.accounts.payee.address, 70_000n);
    const calls = h.providerCalls();
    const res = await invoke(key, xPayment(hash));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { success: boolean; result: unknown; order_id: string };
    expect(body).toMatchObject({ success: true, result: { n: 42 }, price_usd: 0.05 });
    expect(h.providerCalls()).toBe(calls + 1);
    // 0.07 sent for a 0.05 call: the rest stays in the caller's hub balance.
    expect(await available(key)).toBe("0.020000");
    const order = await fetch(`${h.url}/api/v1/market/orders/${body.order_id}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(await order.json()).toMatchObject({ rail: "wdk-usdt-transfer", status: "confirmed" });

    const again = await invoke(key, xPayment(hash));
    expect(await statusAndCode(again)).toEqual([409, "PAYMENT_TX_ALREADY_USED"]);
    expect(h.providerCalls()).toBe(calls + 1);
    expect(await available(key)).toBe("0.020000");
    const deposit = await call(key, "/api/v1/deposits/onchain", {
      tx_hash: hash,
      from: c.accounts.buyer.address,
      amount: "0.07",
    });
    expect(await statusAndCode(deposit)).toEqual([409, "PAYMENT_TX_ALREADY_USED"]);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("refuses another token, another recipient, a short amount and an unmined transfer, running nothing", async () => {
    const c = need();
    const { spare, payee, other } = c.accounts;
    const key = await register("txrefused");
    await bind(key, spare);
    await c.mint(spare.address, 1_000_000n);
    const calls = h.providerCalls();
    const fake = await c.otherToken(spare.address, 1_000_000n);
    const wrongToken = await fake.transfer(spare, payee.address, PRICE);
    expect(await statusAndCode(await invoke(key, xPayment(wrongToken)))).toEqual([
      400,
      "PAYMENT_TRANSFER_NOT_FOUND",
    ]);
    const wrongRecipient = await c.transfer(spare, other.address, PRICE);
    expect(await statusAndCode(await invoke(key, xPayment(wrongRecipient)))).toEqual([
      400,
      "PAYMENT_TRANSFER_NOT_FOUND",
    ]);
    const short = await c.transfer(spare, payee.address, PRICE - 1n);
    expect(await statusAndCode(await invoke(key, xPayment(short)))).toEqual([
      400,
      "PAYMENT_TRANSFER_NOT_FOUND",
    ]);
    const failed = await c.transfer(spare, payee.address, 10n ** 12n, { gas: 100_000n });
    expect(await statusAndCode(await invoke(key, xPayment(failed)))).toEqual([
      402,
      "PAYMENT_TX_FAILED",
    ]);
    await c.setAutomine(false);
    let waiting = "";
    try {
      waiting = await c.transfer(spare, payee.address, PRICE, { wait: false });
      expect(await statusAndCode(await invoke(key, xPayment(waiting)))).toEqual([
        409,
        "PAYMENT_NOT_MINED",
      ]);
    } finally {
      await c.setAutomine(true);
    }
    expect(h.providerCalls()).toBe(calls);
    expect(await available(key)).toBe("0");
    await c.mine(1);
    expect((await invoke(key, xPayment(waiting))).status).toBe(200);
    expect(h.providerCalls()).toBe(calls + 1);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("takes a transfer proof only from a caller that bound the sender", async () => {
    const c = need();
    const { deployer } = c.accounts;
    const owner = await register("txowner");
    await bind(owner, deployer);
    await c.mint(deployer.address, PRICE);
    const hash = await c.transfer(deployer, c.accounts.payee.address, PRICE);
    const calls = h.providerCalls();
    expect(await statusAndCode(await invoke(null, xPayment(hash)))).toEqual([
      401,
      "UNAUTHENTICATED",
    ]);
    const stranger = await register("txstranger");
    expect(await statusAndCode(await invoke(stranger, xPayment(hash)))).toEqual([
      403,
      "PAYMENT_SENDER_UNKNOWN",
    ]);
    const malformed = await invoke(owner, { "x-payment": '{"tx_hash":"0x12","chain":"eip155:1"}' });
    expect(await statusAndCode(malformed)).toEqual([422, "PAYMENT_PROOF_INVALID"]);
    // x402 v1's X-PAYMENT is base64 JSON: it goes to the x402 gate, never to the proof check.
    const v1 = Buffer.from(JSON.stringify({ tx_hash: hash, chain: c.network })).toString("base64");
    const asX402 = await invoke(owner, { "x-payment": v1 });
    expect(asX402.status).toBe(402);
    expect(((await asX402.json()) as { accepts?: unknown[] }).accepts).toBeDefined();
    expect(h.providerCalls()).toBe(calls);
    // The stranger's attempt claimed nothing: the owner still pays with it.
    expect((await invoke(owner, xPayment(hash))).status).toBe(200);
  });

  it("answers PAYMENT_RPC_ERROR when the chain's RPC fails and PAYMENT_RPC_REQUIRED without one", async () => {
    const key = await register("txrpc");
    const hash = `0x${"ab".repeat(32)}`;
    expect(await statusAndCode(await invoke(key, xPayment(hash, DEAD_CHAIN)))).toEqual([
      502,
      "PAYMENT_RPC_ERROR",
    ]);
    expect(await statusAndCode(await invoke(key, xPayment(hash, "eip155:4242")))).toEqual([
      501,
      "PAYMENT_RPC_REQUIRED",
    ]);
  });

  it("keeps a wdk-usdt-transfer order in payment_pending until a verified proof, then ready", async () => {
    const c = need();
    const key = await register("wdkbuyer");
    await bind(key, c.accounts.other);
    await c.mint(c.accounts.other.address, PRICE);
    const created = await call(key, "/api/v1/market/orders", {
      service_id: h.service_id,
      input: { text: "x" },
      rail: "wdk-usdt-transfer",
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: string; payment_instructions: unknown };
    const id = order.id;
    // The order says where to send what, on which chains, and where the proof goes.
    expect(order.payment_instructions).toMatchObject({
      pay_to: c.accounts.payee.address,
      amount: "0.050000",
      amount_minor: PRICE.toString(),
      asset: "USDC",
      proof: {
        method: "POST",
        path: `/api/v1/market/orders/${id}/payment-proof`,
        body: { proof: { tx_hash: "0x…", chain: "eip155:…" } },
      },
      order_ref: null,
    });
    const chains = (order.payment_instructions as { chains: { chain: string; token: string }[] })
      .chains;
    expect(chains.find((x) => x.chain === c.network)).toMatchObject({
      token: c.token.toLowerCase(),
      escrow: null,
      verified: true,
    });
    const intent = await call(key, `/api/v1/market/orders/${id}/payment-intent`);
    expect(await intent.json()).toMatchObject({
      order: { status: "payment_pending", rail: "wdk-usdt-transfer" },
    });
    const fromBalance = await call(key, `/api/v1/market/orders/${id}/payment`);
    expect(await statusAndCode(fromBalance)).toEqual([422, "PAYMENT_RAIL_UNSUPPORTED"]);

    const hash = await c.transfer(c.accounts.other, c.accounts.payee.address, PRICE);
    const proof = { proof: { tx_hash: hash, chain: c.network } };
    const stranger = await register("wdkstranger");
    const theirs = await call(stranger, `/api/v1/market/orders/${id}/payment-proof`, proof);
    expect(await statusAndCode(theirs)).toEqual([404, "ORDER_NOT_FOUND"]);
    const unbound = await call(key, `/api/v1/market/orders/${id}/payment-proof`, {
      proof: { tx_hash: `0x${"cd".repeat(32)}`, chain: c.network },
    });
    expect(await statusAndCode(unbound)).toEqual([409, "PAYMENT_NOT_MINED"]);

    const paid = await call(key, `/api/v1/market/orders/${id}/payment-proof`, proof);
    expect(paid.status).toBe(200);
    expect(await paid.json()).toMatchObject({
      order: { status: "ready", payment: { status: "held", rail: "wdk-usdt-transfer" } },
    });
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, id);
    expect(payment.proof).toMatchObject({
      tx_hash: hash.toLowerCase(),
      verification: "rpc",
      verified: true,
      amount_raw: PRICE.toString(),
    });
    const calls = h.providerCalls();
    const executed = await call(key, `/api/v1/market/orders/${id}/execute`);
    expect(executed.status).toBe(200);
    expect(h.providerCalls()).toBe(calls + 1);
    const other = await call(key, "/api/v1/market/orders", {
      service_id: h.service_id,
      input: { text: "y" },
      rail: "wdk-usdt-transfer",
    });
    const otherId = ((await other.json()) as { id: string }).id;
    await call(key, `/api/v1/market/orders/${otherId}/payment-intent`);
    const reused = await call(key, `/api/v1/market/orders/${otherId}/payment-proof`, proof);
    expect(await statusAndCode(reused)).toEqual([409, "PAYMENT_TX_ALREADY_USED"]);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});
