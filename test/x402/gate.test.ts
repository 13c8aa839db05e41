import type { PaymentRequired, SettleResponse } from "@x402/core/types";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEvmSigner,
  createLocalFacilitator,
  decodeHeaderJson,
  encodePaymentHeader,
  type Facilitator,
  type X402Gate,
} from "../../src/x402/index.ts";
import {
  buyer,
  gateOn,
  paidApp,
  post,
  startX402Chain,
  USDC_DOMAIN,
  type X402Chain,
} from "../support/x402-chain.ts";

const PRICE = 10_000n; // one cent of a 6-decimal token

// Started while collecting, so a machine without anvil skips the suite visibly.
const chain: X402Chain | null = await startX402Chain();
let url = "";
let app: FastifyInstance | null = null;
let facilitator: Facilitator;
let gate: X402Gate;

beforeAll(async () => {
  if (!chain) return;
  const signer = createEvmSigner({
    rpc_url: chain.rpc_url,
    chain_id: chain.chain_id,
    private_key: chain.gas_key,
  });
  facilitator = createLocalFacilitator({ signer, networks: [chain.network] });
  gate = gateOn(chain, facilitator);
  ({ url, app } = await paidApp(gate, PRICE));
});
afterAll(async () => {
  await app?.close();
  await chain?.stop();
});

const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;
const requiredOf = (res: Response) =>
  decodeHeaderJson<PaymentRequired>(res.headers.get("payment-required") ?? "");
const settledOf = (res: Response) =>
  decodeHeaderJson<SettleResponse>(res.headers.get("payment-response") ?? "");

run("x402 gate on a real chain (in-process facilitator, v2)", () => {
  it("answers an unpaid call with 402, PAYMENT-REQUIRED and the Bazaar extension", async () => {
    const c = need();
    const res = await post(url, { text: "abc" });
    expect(res.status).toBe(402);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const required = requiredOf(res);
    expect(required).toMatchObject({
      x402Version: 2,
      error: "Payment required",
      resource: { url },
      accepts: [
        {
          scheme: "exact",
          network: c.network,
          amount: PRICE.toString(),
          asset: c.token,
          payTo: c.accounts.payee.address,
          extra: USDC_DOMAIN,
        },
      ],
    });
    expect(required.extensions?.bazaar).toMatchObject({
      info: { input: { type: "http", method: "POST", bodyType: "json" } },
    });
    // 31337 has no v1 network name, so the body carries the v2 JSON itself.
    expect(await res.json()).toMatchObject({ x402Version: 2, accepts: required.accepts });
  });

  it("takes a real @x402/fetch payment, runs the work and moves exactly the price", async () => {
    const c = need();
    const { buyer: from, payee } = c.accounts;
    const before = [await c.balanceOf(from.address), await c.balanceOf(payee.address)];
    const res = await buyer(c, from).post(url, { text: "abc" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ reversed: "cba" });
    const settled = settledOf(res);
    expect(settled).toMatchObject({ success: true, network: c.network, payer: from.address });
    expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await c.balanceOf(from.address)).toBe((before[0] ?? 0n) - PRICE);
    expect(await c.balanceOf(payee.address)).toBe((before[1] ?? 0n) + PRICE);
  });

  it("refuses the same payment header a second time (its nonce is used on chain)", async () => {
    const c = need();
    const paying = buyer(c, c.accounts.buyer);
    expect((await paying.post(url, {})).status).toBe(200);
    const header = paying.sent.at(-1)?.get("payment-signature") ?? "";
    const before = await c.balanceOf(c.accounts.buyer.address);
    const replay = await post(url, {}, { "payment-signature": header });
    expect(replay.status).toBe(402);
    expect(requiredOf(replay).error).toMatch(/nonce/);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("refuses a payment whose signed value was tampered with", async () => {
    const c = need();
    const paying = buyer(c, c.accounts.buyer);
    await paying.post(url, {});
    const payload = decodeHeaderJson<{ payload: { authorization: { value: string } } }>(
      paying.sent.at(-1)?.get("payment-signature") ?? "",
    );
    payload.payload.authorization.value = "1";
    const before = await c.balanceOf(c.accounts.buyer.address);
    const forged = Buffer.from(JSON.stringify(payload)).toString("base64");
    const res = await post(url, {}, { "payment-signature": forged });
    expect(res.status).toBe(402);
    expect(requiredOf(res).error).toMatch(/signature/);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("refuses a buyer whose token balance does not cover the price", async () => {
    const c = need();
    const res = await buyer(c, c.accounts.other).post(url, {});
    expect(res.status).toBe(402);
    // Multicall3 at its canonical address lets the facilitator name the reason.
    expect(requiredOf(res).error).toMatch(/insufficient_balance/);
  });

  it("refuses a payment signed for another payee", async () => {
    const c = need();
    const elsewhere = await paidApp(
      gateOn(c, facilitator, { pay_to: c.accounts.other.address }),
      PRICE,
    );
    const paying = buyer(c, c.accounts.buyer);
    await paying.post(elsewhere.url, {});
    await elsewhere.app.close();
    const header = paying.sent.at(-1)?.get("payment-signature") ?? "";
    const res = await post(url, {}, { "payment-signature": header });
    expect(res.status).toBe(402);
    expect(requiredOf(res).error).toBe("No matching payment requirements");
  });

  it("refuses a header that is not base64 JSON with a fresh challenge", async () => {
    const res = await post(url, {}, { "payment-signature": "not base64!" });
    expect(res.status).toBe(402);
    expect(requiredOf(res).error).toBe("invalid_payment_header");
  });

  it("does not settle when the work fails, so the buyer keeps the money", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.buyer.address);
    const res = await buyer(c, c.accounts.buyer).post(url, { fail: true });
    expect(res.status).toBe(500);
    expect(res.headers.get("payment-response")).toBeNull();
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("settles ten concurrent paid calls through one signer without nonce collisions", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const paying = buyer(c, c.accounts.buyer);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => paying.post(url, { text: `${i}` })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((r) => settledOf(r).transaction)).size).toBe(10);
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 10n * PRICE);
  });

  it("reports a settlement that fails after the work with PAYMENT-RESPONSE success:false", async () => {
    const c = need();
    await c.mint(c.accounts.spare.address, PRICE); // enough for one of the two payments
    const unpaid = { headers: {}, amount_atomic: PRICE, resource: { url } };
    const required = (await gate.challenge(unpaid, "Payment required")).payment_required;
    const client = buyer(c, c.accounts.spare).client;
    const verified = [];
    for (let i = 0; i < 2; i++) {
      const payload = await client.createPaymentPayload(required as unknown as PaymentRequired);
      const decision = await gate.check({
        ...unpaid,
        headers: { "payment-signature": encodePaymentHeader(payload) },
      });
      if (decision.kind !== "verified") throw new Error(`not verified: ${decision.kind}`);
      verified.push(decision.payment);
    }
    const outcomes = [];
    for (const payment of verified) outcomes.push(await payment.settle());
    expect(outcomes.map((o) => o.status)).toEqual(["settled", "failed"]);
    const failed = decodeHeaderJson<SettleResponse>(outcomes[1]?.headers["PAYMENT-RESPONSE"] ?? "");
    expect(failed).toMatchObject({ success: false, transaction: "" });
    expect(await c.balanceOf(c.accounts.spare.address)).toBe(0n);
  });
});
