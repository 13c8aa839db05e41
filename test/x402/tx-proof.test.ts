import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { txProofFromHeader, txProofsFor } from "../../src/flows/tx-proof.ts";
import { post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/**
 * peaq's wdk-usdt-transfer rail: the buyer sends the token to the hub itself and proves it with
 * `{tx_hash, chain}` on its order; agx reads the receipt over RPC (real anvil, real FiatToken).
 */
run("orders paid with a transaction hash (wdk-usdt-transfer)", () => {
  let h: X402Hub;
  const PRICE = 50_000n; // 0.05 USDC
  type Account = { address: string; signMessage: (a: { message: string }) => Promise<string> };

  beforeAll(async () => {
    h = await startX402Hub(need(), { name: "answer-tx", price: "0.05" });
  });
  afterAll(async () => {
    await h?.close();
    await chain?.stop();
  });

  const call = (key: string, path: string, body: unknown = {}) =>
    fetch(`${h.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
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
  async function order(key: string, rail = "prepaid"): Promise<string> {
    const res = await call(key, "/api/v1/market/orders", {
      service_id: h.service_id,
      input: { text: "x" },
      rail,
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    expect((await call(key, `/api/v1/market/orders/${id}/payment-intent`)).status).toBe(200);
    return id;
  }
  const prove = (key: string, id: string, tx_hash: string, chainId: string = need().network) =>
    call(key, `/api/v1/market/orders/${id}/payment-proof`, { proof: { tx_hash, chain: chainId } });
  const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code;
  async function available(key: string): Promise<string> {
    const res = await fetch(`${h.url}/api/v1/balances`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const items = ((await res.json()) as { items: { asset: string; available: string }[] }).items;
    return items.find((a) => a.asset === "USDC")?.available ?? "0";
  }

  it("pays an order once from a verified transfer; the hash never pays again", async () => {
    const c = need();
    const key = await register("txbuyer");
    await bind(key, c.accounts.buyer);
    const id = await order(key);
    // 0.07 sent for a 0.05 order: the rest stays in the buyer's balance.
    const hash = await c.transfer(c.accounts.buyer, c.accounts.payee.address, 70_000n);
    const paid = await prove(key, id, hash);
    expect(paid.status).toBe(200);
    const body = (await paid.json()) as { order: { status: string; payment: unknown } };
    expect(body.order).toMatchObject({ status: "ready", payment: { status: "held" } });
    expect(await available(key)).toBe("0.020000");
    const again = await prove(key, id, hash);
    expect(again.status).toBe(200);
    expect(await available(key)).toBe("0.020000");
    const other = await order(key);
    const reused = await prove(key, other, hash);
    expect([reused.status, await codeOf(reused)]).toEqual([409, "PAYMENT_TX_ALREADY_USED"]);
    const deposit = await call(key, "/api/v1/deposits/onchain", {
      tx_hash: hash,
      from: c.accounts.buyer.address,
      amount: "0.07",
    });
    expect([deposit.status, await codeOf(deposit)]).toEqual([409, "PAYMENT_TX_ALREADY_USED"]);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("refuses a transfer from an address the buyer has not bound, too small, unmined or failed", async () => {
    const c = need();
    const key = await register("txbuyer2");
    await c.mint(c.accounts.spare.address, 1_000_000n);
    const stranger = await c.transfer(c.accounts.spare, c.accounts.payee.address, PRICE);
    const id = await order(key);
    const res = await prove(key, id, stranger);
    expect([res.status, await codeOf(res)]).toEqual([403, "PAYMENT_SENDER_UNKNOWN"]);
    await bind(key, c.accounts.spare);
    const small = await c.transfer(c.accounts.spare, c.accounts.payee.address, PRICE - 1n);
    const tooSmall = await prove(key, id, small);
    expect([tooSmall.status, await codeOf(tooSmall)]).toEqual([400, "PAYMENT_TRANSFER_NOT_FOUND"]);
    // Sent with a fixed gas limit so it is mined and reverts: the sender has too little.
    const failed = await c.transfer(c.accounts.spare, c.accounts.payee.address, 10n ** 12n, {
      gas: 100_000n,
    });
    const reverted = await prove(key, id, failed);
    expect([reverted.status, await codeOf(reverted)]).toEqual([402, "PAYMENT_TX_FAILED"]);
    await c.setAutomine(false);
    let waiting = "";
    try {
      waiting = await c.transfer(c.accounts.spare, c.accounts.payee.address, PRICE, {
        wait: false,
      });
      const unmined = await prove(key, id, waiting);
      expect([unmined.status, await codeOf(unmined)]).toEqual([409, "PAYMENT_NOT_MINED"]);
    } finally {
      await c.setAutomine(true);
    }
    await c.mine(1);
    expect((await prove(key, id, waiting)).status).toBe(200);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("records a proof it cannot verify only on an offchain-record order, marked unverified", async () => {
    const key = await register("txbuyer3");
    const sig =
      "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW";
    const prepaid = await order(key);
    const refused = await prove(key, prepaid, sig, "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp");
    expect([refused.status, await codeOf(refused)]).toEqual([501, "PAYMENT_RPC_REQUIRED"]);
    const recorded = await order(key, "offchain-record");
    const res = await prove(key, recorded, sig, "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp");
    expect(res.status).toBe(200);
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, recorded);
    expect(payment).toMatchObject({
      status: "held",
      verification: "recorded",
      proof: { tx_hash: sig, verification: "recorded", verified: false },
    });
  });

  it("credits an AIMP X-Payment transfer proof to the buyer's balance once", async () => {
    const c = need();
    const key = await register("txbuyer4");
    await bind(key, c.accounts.other);
    await c.mint(c.accounts.other.address, PRICE);
    const hash = await c.transfer(c.accounts.other, c.accounts.payee.address, PRICE);
    const header = JSON.stringify({ tx_hash: hash, chain: c.network });
    const proof = txProofFromHeader(header);
    expect(proof).toEqual({ tx_hash: hash.toLowerCase(), chain: c.network });
    // An x402 v1 X-PAYMENT (base64 JSON) is not a transaction proof.
    expect(txProofFromHeader(Buffer.from(header).toString("base64"))).toBeNull();
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    const buyer_id = (await me.json()) as { id?: string; principal?: { id: string } };
    const id = buyer_id.id ?? buyer_id.principal?.id ?? "";
    const proofs = txProofsFor(h.hub.ctx);
    const spec = { buyer_id: id, pairing_id: null, asset: "USDC", amount_min: PRICE };
    const first = await proofs.credit({ ...spec, proof: proof as NonNullable<typeof proof> });
    expect(first.deposit).toBe("created");
    const again = await proofs.credit({ ...spec, proof: proof as NonNullable<typeof proof> });
    expect(again.deposit).toBe("exists");
    expect(await available(key)).toBe("0.050000");
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});
