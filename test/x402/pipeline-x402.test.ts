import type { PaymentRequired, SettleResponse } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHeaderJson } from "../../src/x402/index.ts";
import { buyer, post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/**
 * x402 on POST /ai-market/pipelines: the whole pipeline's quote is one x402 payment (real
 * @x402/fetch client, real chain, the hub's in-process facilitator), run to its end, settled
 * only when a step delivered, answered with PAYMENT-RESPONSE.
 */
run("x402 on pipelines (real chain, in-process facilitator)", () => {
  let h: X402Hub;
  const PRICE = 30_000n; // 0.03 USDC per call
  const pipeline = (name: string) => ({
    nodes: [
      { id: "a", product_id: name, capability_id: "analyze@v1", input: { text: "one" } },
      {
        id: "b",
        product_id: name,
        capability_id: "analyze@v1",
        input: { text: "two" },
        depends_on: ["a"],
      },
    ],
  });
  const url = () => `${h.url}/ai-market/pipelines`;

  beforeAll(async () => {
    h = await startX402Hub(need(), { name: "answer-pipe", price: "0.03" });
  });
  afterAll(async () => {
    await h?.close();
    await chain?.stop();
  });

  it("answers an unpaid pipeline with 402: PAYMENT-REQUIRED for its whole quote and the v1 body", async () => {
    const c = need();
    const res = await post(url(), pipeline("answer-pipe"));
    expect(res.status).toBe(402);
    const required = decodeHeaderJson<PaymentRequired>(res.headers.get("payment-required") ?? "");
    expect(required.x402Version).toBe(2);
    expect(required.accepts[0]).toMatchObject({
      scheme: "exact",
      network: c.network,
      amount: (2n * PRICE).toString(),
      asset: c.token,
      payTo: c.accounts.payee.address,
    });
    const body = (await res.json()) as { code: string; accepts: unknown[]; x402Version: number };
    expect(body.code).toBe("X402_PAYMENT_REQUIRED");
    expect(body.accepts.length).toBeGreaterThan(0);
  });

  it("runs a pipeline paid by a real x402 client, settles it once and answers PAYMENT-RESPONSE", async () => {
    const c = need();
    const { buyer: from, payee } = c.accounts;
    const before = [await c.balanceOf(from.address), await c.balanceOf(payee.address)];
    const calls = h.providerCalls();
    const res = await buyer(c, from).post(url(), pipeline("answer-pipe"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; success: boolean; total: unknown };
    expect(body).toMatchObject({ status: "succeeded", success: true });
    expect(h.providerCalls()).toBe(calls + 2);
    const settled = decodeHeaderJson<SettleResponse>(res.headers.get("payment-response") ?? "");
    expect(settled).toMatchObject({ success: true, network: c.network });
    expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await c.balanceOf(from.address)).toBe((before[0] as bigint) - 2n * PRICE);
    expect(await c.balanceOf(payee.address)).toBe((before[1] as bigint) + 2n * PRICE);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("refuses a replayed payment: one authorization pays for one pipeline", async () => {
    const c = need();
    const client = buyer(c, c.accounts.buyer);
    expect((await client.post(url(), pipeline("answer-pipe"))).status).toBe(200);
    const paid = client.sent.find((s) => s.has("payment-signature"));
    const calls = h.providerCalls();
    const again = await post(url(), pipeline("answer-pipe"), {
      "payment-signature": paid?.get("payment-signature") ?? "",
    });
    expect(again.status).toBe(402);
    expect(again.headers.get("payment-required")).toBeTruthy();
    expect(h.providerCalls()).toBe(calls);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("never settles a pipeline in which no step delivered", async () => {
    const c = need();
    const { buyer: from, payee } = c.accounts;
    const before = [await c.balanceOf(from.address), await c.balanceOf(payee.address)];
    h.setFailing(true);
    try {
      const res = await buyer(c, from).post(url(), pipeline("answer-pipe"));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "failed", success: false });
      expect(res.headers.get("payment-response")).toBeNull();
    } finally {
      h.setFailing(false);
    }
    expect(await c.balanceOf(from.address)).toBe(before[0]);
    expect(await c.balanceOf(payee.address)).toBe(before[1]);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("offers x402 to a key whose balance cannot fund the pipeline, and refuses a read key", async () => {
    const reg = await post(`${h.url}/api/agents/register`, { handle: "pipebroke" });
    const key = ((await reg.json()) as { apiKey: string }).apiKey;
    const res = await post(url(), pipeline("answer-pipe"), { authorization: `Bearer ${key}` });
    expect(res.status).toBe(402);
    expect(((await res.json()) as { code: string }).code).toBe("PIPELINE_OVER_BUDGET");
    const required = decodeHeaderJson<PaymentRequired>(res.headers.get("payment-required") ?? "");
    expect(required.accepts[0]?.amount).toBe((2n * PRICE).toString());
    const made = await post(
      `${h.url}/api/v1/keys`,
      { scope: "read" },
      { authorization: `Bearer ${key}` },
    );
    expect(made.status).toBe(201);
    const readKey = ((await made.json()) as { secret: string }).secret;
    const refused = await post(url(), pipeline("answer-pipe"), {
      authorization: `Bearer ${readKey}`,
    });
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([
      403,
      "FORBIDDEN",
    ]);
  });
});
