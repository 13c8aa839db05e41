import { createTestClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ReconcileDeps,
  reconcileX402Settlement,
  x402ReconcileHandler,
} from "../../src/flows/x402-reconcile.ts";
import type { HubX402 } from "../../src/http/context.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import {
  createAuthorizationReader,
  createChainClients,
  createEvmSigner,
  createLocalFacilitator,
  createPendingSettlementStore,
  createX402Gate,
  getPendingSettlement,
} from "../../src/x402/index.ts";
import { buyer, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/**
 * A settlement whose receipt does not come in time is answered X402_SETTLEMENT_PENDING; a job
 * later reads the chain (EIP-3009 authorizationState and AuthorizationUsed) and books the payment
 * once, or refunds the order once the authorization expired unused. Real anvil, real token.
 */
run("reconciling x402 settlements whose outcome was unknown", () => {
  let h: X402Hub;
  let deps: ReconcileDeps;
  const PRICE = 30_000n;

  beforeAll(async () => {
    const c = need();
    h = await startX402Hub(c, { name: "answer-pending", price: "0.03" });
    const ctx = h.hub.ctx;
    const x = ctx.x402 as HubX402;
    // The hub's own facilitator, but waiting 300 ms for receipts: with automine off, pending.
    const signer = createEvmSigner({
      rpc_url: c.rpc_url,
      chain_id: c.chain_id,
      private_key: c.gas_key,
      receipt_timeout_ms: 300,
    });
    const facilitator = createLocalFacilitator({
      signer,
      networks: [c.network],
      pending_store: createPendingSettlementStore(ctx.db.kysely, systemClock),
    });
    const gate = createX402Gate({
      facilitator,
      terms: x.terms,
      clock: ctx.clock,
      db: ctx.db.kysely,
    });
    (ctx as { x402: HubX402 }).x402 = { ...x, gate };
    deps = {
      db: ctx.db,
      ledger: ctx.ledger,
      orders: ctx.orders,
      fulfilment: ctx.fulfilment,
      asset: x.asset,
      clock: ctx.clock,
      reader: createAuthorizationReader({
        chains: createChainClients({ rpc_urls: { [c.network]: c.rpc_url } }),
        confirmations_min: 1,
      }),
    };
  });
  afterAll(async () => {
    await h?.close();
    await chain?.stop();
  });

  /**
   * A paid call whose settlement is broadcast but not mined: 504 with the order id. Automine
   * stays off (turning it on mines the mempool); `work` runs before it is turned back on.
   */
  async function pendingCall(work: (order_id: string) => Promise<void>): Promise<string> {
    const c = need();
    await c.setAutomine(false);
    try {
      const res = await buyer(c, c.accounts.buyer).post(h.invokeUrl, { input: { text: "x" } });
      const body = (await res.json()) as { code: string; order_id: string };
      expect([res.status, body.code]).toEqual([504, "X402_SETTLEMENT_PENDING"]);
      await work(body.order_id);
      return body.order_id;
    } finally {
      await c.setAutomine(true);
    }
  }

  it("books a settlement mined late exactly once, however often and concurrently it is reconciled", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const order_id = await pendingCall(async (id) => {
      const o = await h.hub.ctx.orders.get(h.hub.ctx.db.kysely, id);
      expect(o.status).toBe("delivered");
      expect((await reconcileX402Settlement(deps, id)).outcome).toBe("waiting");
      await c.mine(1);
    });
    const order = () => h.hub.ctx.orders.get(h.hub.ctx.db.kysely, order_id);
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + PRICE);
    const outcomes = await Promise.all([
      reconcileX402Settlement(deps, order_id),
      reconcileX402Settlement(deps, order_id),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["done", "settled"]);
    expect(await reconcileX402Settlement(deps, order_id)).toEqual({ outcome: "done" });
    expect((await order()).status).toBe("confirmed");
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, order_id);
    expect(payment).toMatchObject({ status: "released", verification: "ledger" });
    const settled = outcomes.find((o) => o.outcome === "settled") as { tx_hash: string };
    expect(payment.proof).toMatchObject({ tx_hash: settled.tx_hash });
    expect(await getPendingSettlement(h.hub.ctx.db.kysely, order_id)).toMatchObject({
      state: "settled",
      tx_hash: settled.tx_hash,
    });
    // Nothing was broadcast again: the payee got the price once.
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + PRICE);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("refunds the order once the authorization expired unused, and never settles it", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const test = createTestClient({ mode: "anvil", transport: http(c.rpc_url) });
    const handler = x402ReconcileHandler(deps);
    const messageOf = (order_id: string) =>
      ({ payload: { order_id } }) as unknown as Parameters<typeof handler>[0];
    const order_id = await pendingCall(async (id) => {
      // The broadcast is lost (dropped from the mempool): the authorization is never used.
      await test.request({ method: "anvil_dropAllTransactions" as never, params: [] as never });
      expect(await handler(messageOf(id))).toMatchObject({ outcome: "retry" });
    });
    const message = messageOf(order_id);
    await test.increaseTime({ seconds: 3_600 });
    await c.mine(1);
    expect(await handler(message)).toEqual({ outcome: "done" });
    expect(await getPendingSettlement(h.hub.ctx.db.kysely, order_id)).toMatchObject({
      state: "released",
    });
    expect(await reconcileX402Settlement(deps, order_id)).toEqual({ outcome: "done" });
    const order = await h.hub.ctx.orders.get(h.hub.ctx.db.kysely, order_id);
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, order_id);
    expect(payment.status).toBe("refunded");
    expect(order.status).not.toBe("confirmed");
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});
