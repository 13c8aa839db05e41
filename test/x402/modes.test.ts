import type { PaymentRequired, SettleResponse } from "@x402/core/types";
import { toClientEvmSigner } from "@x402/evm";
import { ExactEvmSchemeV1 } from "@x402/evm/v1";
import { x402Client, x402HTTPClient } from "@x402/fetch";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/kernel/clock.ts";
import { isProblem } from "../../src/kernel/problem.ts";
import type { LoopbackServer } from "../../src/net/testing.ts";
import {
  createEvmSigner,
  createLocalFacilitator,
  createPendingSettlementStore,
  createRemoteFacilitator,
  decodeHeaderJson,
  encodePaymentHeader,
  type Facilitator,
  type SettlementOutcome,
  x402Migrations,
} from "../../src/x402/index.ts";
import { TestStore } from "../support/stores.ts";
import {
  buyer,
  gateOn,
  paidApp,
  post,
  serveFacilitator,
  startX402Chain,
  type X402Chain,
} from "../support/x402-chain.ts";

const PRICE = 25_000n;
// v1 names a fixed list of chains: relabel anvil as base-sepolia so v1 and v2 both apply.
const chain: X402Chain | null = await startX402Chain({ chain_id: 84532 });
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;
const store = new TestStore("sqlite");
let local: Facilitator;
const apps: FastifyInstance[] = [];
let served: LoopbackServer | null = null;

beforeAll(async () => {
  await store.open({ migrations: x402Migrations });
  if (!chain) return;
  const signer = createEvmSigner({
    rpc_url: chain.rpc_url,
    chain_id: chain.chain_id,
    private_key: chain.gas_key,
  });
  local = createLocalFacilitator({ signer, networks: [chain.network] });
  served = await serveFacilitator(local);
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await served?.close();
  await chain?.stop();
  await store.close();
});

async function appWith(facilitator: Facilitator, withIds = false) {
  const made = await paidApp(
    gateOn(need(), facilitator, withIds ? { db: store.db.kysely } : {}),
    PRICE,
  );
  apps.push(made.app);
  return made.url;
}

const settledOf = (res: Response, name = "payment-response") =>
  decodeHeaderJson<SettleResponse>(res.headers.get(name) ?? "");

run("x402 protocol v1 (X-PAYMENT) next to v2", () => {
  it("offers v1 in the 402 body and settles a v1 X-PAYMENT built by the v1 client", async () => {
    const c = need();
    const url = await appWith(local);
    const unpaid = await post(url, { text: "v1" });
    expect(unpaid.status).toBe(402);
    const body = await unpaid.json();
    expect(body).toMatchObject({
      x402Version: 1,
      error: "Payment required",
      accepts: [{ scheme: "exact", network: "base-sepolia", maxAmountRequired: "25000" }],
    });
    const client = new x402Client()
      .registerV1("base-sepolia", new ExactEvmSchemeV1(toClientEvmSigner(c.accounts.buyer, c.pub)))
      .setSpendControls(false);
    const http = new x402HTTPClient(client);
    // A v1 client reads the body only; the v2 header is what it would not understand.
    const required = http.getPaymentRequiredResponse(() => null, body);
    const headers = http.encodePaymentSignatureHeader(await client.createPaymentPayload(required));
    expect(Object.keys(headers)).toEqual(["X-PAYMENT"]);
    const before = await c.balanceOf(c.accounts.payee.address);
    const paid = await post(url, { text: "v1" }, headers);
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ reversed: "1v" });
    expect(paid.headers.get("payment-response")).toBeNull();
    expect(settledOf(paid, "x-payment-response")).toMatchObject({
      success: true,
      network: "base-sepolia",
      payer: c.accounts.buyer.address,
    });
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + PRICE);
  });

  it("refuses a request that carries both a v1 and a v2 payment header", async () => {
    const url = await appWith(local);
    const res = await post(url, {}, { "x-payment": "e30=", "payment-signature": "e30=" });
    expect(res.status).toBe(402);
    expect(await res.json()).toMatchObject({ error: "send one of PAYMENT-SIGNATURE or X-PAYMENT" });
  });
});

run("x402 with a remote facilitator over HTTP", () => {
  it("verifies and settles through /verify and /settle of a facilitator on loopback", async () => {
    const c = need();
    const remote = createRemoteFacilitator({
      url: served?.origin ?? "",
      allowHosts: ["127.0.0.1"],
    });
    const supported = await remote.supported();
    expect(supported.kinds).toEqual(
      expect.arrayContaining([
        { x402Version: 2, scheme: "exact", network: c.network },
        { x402Version: 1, scheme: "exact", network: "base-sepolia" },
      ]),
    );
    const url = await appWith(remote);
    const before = await c.balanceOf(c.accounts.buyer.address);
    const res = await buyer(c, c.accounts.buyer).post(url, { text: "remote" });
    expect(res.status).toBe(200);
    expect(settledOf(res).success).toBe(true);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before - PRICE);
  });

  it("will not call a facilitator on a private address that is not allow-listed", async () => {
    const remote = createRemoteFacilitator({ url: served?.origin ?? "" });
    const failure = await remote.supported().catch((e: unknown) => e);
    expect(isProblem(failure) && failure.code).toBe("X402_FACILITATOR_UNAVAILABLE");
  });

  it("answers 502 material (a Problem) when the facilitator cannot be reached", async () => {
    const c = need();
    const down = createRemoteFacilitator({ url: "http://127.0.0.1:9", allowHosts: ["127.0.0.1"] });
    const paying = buyer(c, c.accounts.buyer);
    await paying.post(await appWith(local), {});
    const header = paying.sent.at(-1)?.get("payment-signature") ?? "";
    const gate = gateOn(c, down);
    const failure = await gate
      .check({
        headers: { "payment-signature": header },
        amount_atomic: PRICE,
        resource: { url: "http://127.0.0.1/reverse" },
      })
      .catch((e: unknown) => e);
    expect(isProblem(failure) && [failure.code, failure.status]).toEqual([
      "X402_FACILITATOR_UNAVAILABLE",
      502,
    ]);
  });
});

run("x402 payment identifiers (idempotent paid requests)", () => {
  it("declares the extension and replays the first outcome for the same id and payload", async () => {
    const c = need();
    const url = await appWith(local, true);
    const unpaid = await post(url, {});
    const required = decodeHeaderJson<{ extensions: Record<string, unknown> }>(
      unpaid.headers.get("payment-required") ?? "",
    );
    expect(required.extensions["payment-identifier"]).toMatchObject({ info: { required: false } });
    const paying = buyer(c, c.accounts.buyer, `pay_${"a".repeat(24)}`);
    const first = await paying.post(url, { text: "once" });
    expect(first.status).toBe(200);
    const before = await c.balanceOf(c.accounts.buyer.address);
    const header = paying.sent.at(-1)?.get("payment-signature") ?? "";
    const again = await post(url, { text: "once" }, { "payment-signature": header });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ reversed: "ecno" });
    expect(settledOf(again).transaction).toBe(settledOf(first).transaction);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("refuses the same id with a different payment as a conflict (409)", async () => {
    const c = need();
    const url = await appWith(local, true);
    const id = `pay_${"b".repeat(24)}`;
    expect((await buyer(c, c.accounts.buyer, id).post(url, {})).status).toBe(200);
    const before = await c.balanceOf(c.accounts.buyer.address);
    const second = await buyer(c, c.accounts.buyer, id).post(url, {});
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ code: "X402_PAYMENT_ID_CONFLICT" });
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("refuses a payment without an identifier where the route requires one (400)", async () => {
    const c = need();
    const paying = buyer(c, c.accounts.buyer);
    await paying.post(await appWith(local), {});
    const strict = gateOn(c, local, { db: store.db.kysely, payment_id_required: true });
    const decision = await strict.check({
      headers: { "payment-signature": paying.sent.at(-1)?.get("payment-signature") ?? "" },
      amount_atomic: PRICE,
      resource: { url: "http://127.0.0.1/reverse" },
    });
    expect(decision.kind === "refused" && [decision.problem.code, decision.problem.status]).toEqual(
      ["X402_PAYMENT_ID_REQUIRED", 400],
    );
  });
});

run("x402 settlements whose outcome is not known in time", () => {
  it("records settlement_pending and never broadcasts the same payment twice", async () => {
    const c = need();
    // Receipts are awaited for 300 ms only; with automine off none comes.
    const signer = createEvmSigner({
      rpc_url: c.rpc_url,
      chain_id: c.chain_id,
      private_key: c.gas_key,
      receipt_timeout_ms: 300,
    });
    const pending_store = createPendingSettlementStore(store.db.kysely, systemClock);
    const gate = gateOn(
      c,
      createLocalFacilitator({ signer, networks: [c.network], pending_store }),
    );
    const resource = { url: "http://127.0.0.1/slow" };
    const unpaid = { headers: {}, amount_atomic: PRICE, resource };
    const required = (await gate.challenge(unpaid, "Payment required")).payment_required;
    const payload = await buyer(c, c.accounts.buyer).client.createPaymentPayload(
      required as unknown as PaymentRequired,
    );
    const paid = { ...unpaid, headers: { "payment-signature": encodePaymentHeader(payload) } };
    const before = await c.balanceOf(c.accounts.payee.address);
    await c.setAutomine(false);
    const outcomes: SettlementOutcome[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const decision = await gate.check(paid);
        if (decision.kind !== "verified") throw new Error(`not verified: ${decision.kind}`);
        outcomes.push(await decision.payment.settle());
      }
    } finally {
      await c.setAutomine(true);
    }
    expect(outcomes.map((o) => [o.status, o.response.errorReason])).toEqual([
      ["pending", "settlement_pending"],
      ["pending", "settlement_pending"],
    ]);
    expect(outcomes[1]?.response.transaction).toBe(outcomes[0]?.response.transaction);
    await c.mine(1);
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + PRICE);
    expect((await gate.check(paid)).kind).toBe("invalid");
  });
});
