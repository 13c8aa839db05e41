import { createTestClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ReconcileDeps,
  reconcileX402Settlement,
  x402ReconcileHandler,
} from "../../src/flows/x402-reconcile.ts";
import type { HubX402 } from "../../src/http/context.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import { AgxClient } from "../../src/sdk/index.ts";
import {
  createAuthorizationReader,
  createChainClients,
  createEvmSigner,
  createLocalFacilitator,
  createPendingSettlementStore,
  createX402Gate,
  type Facilitator,
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
  let facilitator: Facilitator;
  let gateWith: (f: Facilitator) => HubX402["gate"];
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
    facilitator = createLocalFacilitator({
      signer,
      networks: [c.network],
      pending_store: createPendingSettlementStore(ctx.db.kysely, systemClock),
    });
    gateWith = (f) =>
      createX402Gate({ facilitator: f, terms: x.terms, clock: ctx.clock, db: ctx.db.kysely });
    const gate = gateWith(facilitator);
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

  /**
   * A paid call whose process stalls in settling, as if it had died there: before broadcasting
   * anything, or after the broadcast was mined but before its outcome was booked. The hub's gate
   * is swapped for one whose facilitator waits there until `resume` (what the reconciler sees
   * meanwhile is what a SIGKILL would leave); resumed, the stale call goes on as a slow process
   * would, and must not book or refund twice.
   */
  async function stalledCall(when: "before_broadcast" | "after_broadcast") {
    const c = need();
    const ctx = h.hub.ctx;
    const x = ctx.x402 as HubX402;
    let reached: () => void = () => {};
    const stalled = new Promise<void>((r) => {
      reached = r;
    });
    let resume: () => void = () => {};
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    const dying: Facilitator = {
      verify: (p, r) => facilitator.verify(p, r),
      supported: () => facilitator.supported(),
      settle: async (p, r) => {
        const sent = when === "after_broadcast" ? await facilitator.settle(p, r) : null;
        reached();
        await resumed;
        if (!sent) throw new Error("the process died before broadcasting");
        return sent;
      },
    };
    const pendingOrders = async () =>
      (
        (await ctx.db.kysely
          .selectFrom("x402_reconciliations" as never)
          .select(["order_id" as never])
          .where("state" as never, "=", "pending" as never)
          .execute()) as { order_id: string }[]
      ).map((r) => r.order_id);
    const earlier = new Set(await pendingOrders());
    (ctx as { x402: HubX402 }).x402 = { ...x, gate: gateWith(dying) };
    const response = buyer(c, c.accounts.buyer).post(h.invokeUrl, { input: { text: "x" } });
    await stalled;
    (ctx as { x402: HubX402 }).x402 = x;
    const fresh = (await pendingOrders()).filter((id) => !earlier.has(id));
    expect(fresh).toHaveLength(1);
    const order_id = fresh[0] as string;
    expect((await ctx.orders.get(ctx.db.kysely, order_id)).status).toBe("delivered");
    expect(await getPendingSettlement(ctx.db.kysely, order_id)).toMatchObject({ tx_hash: null });
    // Its reconciliation was written with the payment, not after the settlement.
    const job = await ctx.db.kysely
      .selectFrom("outbox_messages" as never)
      .select(["state" as never])
      .where("dedupe_key" as never, "=", `x402_reconcile:${order_id}` as never)
      .executeTakeFirst();
    expect(job).toMatchObject({ state: "pending" });
    return {
      order_id,
      resume: () => {
        resume();
        return response;
      },
    };
  }

  it("books a payment whose process died after the broadcast, before booking it; the stale call books nothing", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const stalled = await stalledCall("after_broadcast");
    const { order_id } = stalled;
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + PRICE);
    const outcome = await reconcileX402Settlement(deps, order_id);
    expect(outcome.outcome).toBe("settled");
    const order = await h.hub.ctx.orders.get(h.hub.ctx.db.kysely, order_id);
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, order_id);
    expect([order.status, payment.status]).toEqual(["confirmed", "released"]);
    expect(payment.proof).toMatchObject({ tx_hash: (outcome as { tx_hash: string }).tx_hash });
    expect(await reconcileX402Settlement(deps, order_id)).toEqual({ outcome: "done" });
    const ledger = await h.ledgerOk();
    // The stale call wakes with the settlement in hand: it answers, and books nothing again.
    const late = await stalled.resume();
    expect(late.status).toBe(200);
    expect(await h.ledgerOk()).toEqual(ledger);
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + PRICE);
    expect(ledger).toMatchObject({ ok: true, failures: [] });
  });

  it("ends the record itself when the call ends normally: nothing left for the reconciler", async () => {
    const c = need();
    const res = await buyer(c, c.accounts.buyer).post(h.invokeUrl, { input: { text: "x" } });
    expect(res.status).toBe(200);
    const { order_id } = (await res.json()) as { order_id: string };
    expect(await getPendingSettlement(h.hub.ctx.db.kysely, order_id)).toMatchObject({
      state: "settled",
    });
    const job = await h.hub.ctx.db.kysely
      .selectFrom("outbox_messages" as never)
      .select(["state" as never])
      .where("dedupe_key" as never, "=", `x402_reconcile:${order_id}` as never)
      .executeTakeFirst();
    expect((job as { state?: string } | undefined)?.state ?? "gone").not.toBe("pending");
    expect(await reconcileX402Settlement(deps, order_id)).toEqual({ outcome: "done" });
  });

  it("refunds the order once the authorization expired unused (its broadcast lost, or never sent: the process died first), and never settles it", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const test = createTestClient({ mode: "anvil", transport: http(c.rpc_url) });
    const handler = x402ReconcileHandler(deps);
    const messageOf = (order_id: string) =>
      ({ payload: { order_id } }) as unknown as Parameters<typeof handler>[0];
    const lost = await pendingCall(async (id) => {
      // The broadcast is lost (dropped from the mempool): the authorization is never used.
      await test.request({ method: "anvil_dropAllTransactions" as never, params: [] as never });
      expect(await handler(messageOf(id))).toMatchObject({ outcome: "wait" });
    });
    const stalled = await stalledCall("before_broadcast");
    const died = stalled.order_id;
    expect(await handler(messageOf(died))).toMatchObject({ outcome: "wait" });
    // Woken, the stale call learns nothing of the settlement: pending, for the reconciler.
    expect((await stalled.resume()).status).toBe(504);
    // (The buyer's client signs with the machine's clock: paid calls end here for this chain.)
    await test.increaseTime({ seconds: 3_600 });
    await c.mine(1);
    for (const order_id of [lost, died]) {
      expect(await handler(messageOf(order_id))).toEqual({ outcome: "done" });
      expect(await getPendingSettlement(h.hub.ctx.db.kysely, order_id)).toMatchObject({
        state: "released",
      });
      expect(await reconcileX402Settlement(deps, order_id)).toEqual({ outcome: "done" });
      const order = await h.hub.ctx.orders.get(h.hub.ctx.db.kysely, order_id);
      const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, order_id);
      expect(payment.status).toBe("refunded");
      expect(order.status).not.toBe("confirmed");
    }
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("lists every x402 payment's settlement record for the operator, by state, page after page", async () => {
    const operator = new AgxClient({ url: h.url, apiKey: h.admin });
    const all = [];
    for await (const item of operator.allX402Settlements({ limit: 1 })) all.push(item);
    // This suite's calls: two booked (one by the reconciler after a stall, one normally), one
    // booked late, and two refunded after their authorizations lapsed.
    expect(all.map((r) => r.state).sort()).toEqual([
      "released",
      "released",
      "settled",
      "settled",
      "settled",
    ]);
    const released = await operator.x402Settlements({ state: "released" });
    expect(released.items).toHaveLength(2);
    expect(released.items[0]).toMatchObject({
      subject: "order",
      state: "released",
      network: need().network,
      authorizer: need().accounts.buyer.address.toLowerCase(),
      amount_atomic: PRICE.toString(),
      id: expect.stringMatching(/^ord_/),
    });
    expect(Date.parse(released.items[0]?.valid_before ?? "")).toBeGreaterThan(0);
    const agent = await fetch(`${h.url}/api/v1/admin/x402-settlements`, {
      headers: { authorization: `Bearer ${h.seller.apiKey}` },
    });
    expect(agent.status).toBe(403);
  });
});
