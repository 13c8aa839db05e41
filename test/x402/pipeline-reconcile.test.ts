import { createTestClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X402_UNPAID_OWNER_ID } from "../../src/flows/pipeline-x402-reconcile.ts";
import { addressOwnerId } from "../../src/flows/x402.ts";
import {
  type ReconcileDeps,
  reconcileX402Settlement,
  x402ReconcileHandler,
} from "../../src/flows/x402-reconcile.ts";
import type { HubX402 } from "../../src/http/context.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import {
  claimTx,
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
 * A pipeline paid with x402 whose settlement did not confirm in time (504
 * X402_SETTLEMENT_PENDING): the reconciler reads the chain and either claims the settlement for
 * the job once (the advance on the ledger is then backed by real money) or, the authorization
 * expired unused, undoes the advance once. Real anvil, real token, the hub's own facilitator.
 */
run("reconciling x402-paid pipelines whose settlement outcome was unknown", () => {
  let h: X402Hub;
  let deps: ReconcileDeps;
  let facilitator: Facilitator;
  let gateWith: (f: Facilitator) => HubX402["gate"];
  const PRICE = 30_000n;
  const pipeline = {
    nodes: [
      { id: "a", product_id: "pipe-pending", capability_id: "analyze@v1", input: { text: "1" } },
      { id: "b", product_id: "pipe-pending", capability_id: "analyze@v1", input: { text: "2" } },
    ],
  };

  beforeAll(async () => {
    const c = need();
    h = await startX402Hub(c, { name: "pipe-pending", price: "0.03" });
    const ctx = h.hub.ctx;
    const x = ctx.x402 as HubX402;
    // The hub's facilitator, waiting 300 ms for receipts: with automine off, pending.
    facilitator = createLocalFacilitator({
      signer: createEvmSigner({
        rpc_url: c.rpc_url,
        chain_id: c.chain_id,
        private_key: c.gas_key,
        receipt_timeout_ms: 300,
      }),
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

  /** A key-less paid pipeline whose settlement is broadcast but not mined: 504 with the job. */
  async function pendingPipeline(work: (job_id: string) => Promise<void>) {
    const c = need();
    await c.setAutomine(false);
    try {
      const res = await buyer(c, c.accounts.buyer).post(`${h.url}/ai-market/pipelines`, pipeline);
      const body = (await res.json()) as { code: string; job_id: string; job_token: string };
      expect([res.status, body.code]).toEqual([504, "X402_SETTLEMENT_PENDING"]);
      expect(body.job_token).toMatch(/^jt_agx_/);
      await work(body.job_id);
      return body;
    } finally {
      await c.setAutomine(true);
    }
  }
  /**
   * A key-less paid pipeline whose process stalls in settling, as if it had died there (see
   * test/x402/reconcile.test.ts): before broadcasting, or after the broadcast was mined but
   * before the settlement was claimed. `resume` lets the stale call go on.
   */
  async function stalledPipeline(when: "before_broadcast" | "after_broadcast") {
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
    const pending = async () =>
      (
        (await ctx.db.kysely
          .selectFrom("x402_reconciliations" as never)
          .select(["order_id" as never])
          .where("state" as never, "=", "pending" as never)
          .execute()) as { order_id: string }[]
      ).map((r) => r.order_id);
    const earlier = new Set(await pending());
    (ctx as { x402: HubX402 }).x402 = { ...x, gate: gateWith(dying) };
    const response = buyer(c, c.accounts.buyer).post(`${h.url}/ai-market/pipelines`, pipeline);
    await stalled;
    (ctx as { x402: HubX402 }).x402 = x;
    const fresh = (await pending()).filter((id) => !earlier.has(id));
    expect(fresh).toHaveLength(1);
    const job_id = fresh[0] as string;
    // Written with the advance, before any settlement: the job, its advance, nothing sent yet.
    expect(await getPendingSettlement(ctx.db.kysely, job_id)).toMatchObject({
      subject: "pipeline",
      tx_hash: null,
    });
    return {
      job_id,
      resume: () => {
        resume();
        return response;
      },
    };
  }
  const owner = () => addressOwnerId(need().network, need().accounts.buyer.address);
  async function available(owner_id: string): Promise<bigint> {
    const accounts = await h.hub.ctx.ledger.accountsOf(h.hub.ctx.db.kysely, owner_id);
    return accounts.find((a) => a.asset === "USDC")?.balance_minor ?? 0n;
  }

  it("a pipeline paid by x402 whose settlement timed out is settled exactly once by the reconciler when the authorization was used on chain", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const { job_id, job_token } = await pendingPipeline(async (id) => {
      expect(await getPendingSettlement(h.hub.ctx.db.kysely, id)).toMatchObject({
        subject: "pipeline",
        state: "pending",
        amount_atomic: 2n * PRICE,
      });
      expect((await reconcileX402Settlement(deps, id)).outcome).toBe("waiting");
      await c.mine(1);
    });
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 2n * PRICE);
    const outcomes = await Promise.all([
      reconcileX402Settlement(deps, job_id),
      reconcileX402Settlement(deps, job_id),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["done", "settled"]);
    expect(await reconcileX402Settlement(deps, job_id)).toEqual({ outcome: "done" });
    const settled = outcomes.find((o) => o.outcome === "settled") as { tx_hash: string };
    expect(await getPendingSettlement(h.hub.ctx.db.kysely, job_id)).toMatchObject({
      state: "settled",
      tx_hash: settled.tx_hash,
    });
    // The settlement is claimed for the job: it can never be proven again as a deposit.
    const again = await h.hub.ctx.db.transaction((tx) =>
      claimTx(tx, {
        chain: c.network,
        tx_hash: settled.tx_hash,
        purpose: "deposit",
        subject: "someone",
        now_ms: Date.now(),
      }),
    );
    expect(again).toMatchObject({ outcome: "taken", purpose: "x402", subject: job_id });
    // Both steps ran and spent the whole advance; nothing was withdrawn or written off.
    expect(await available(owner())).toBe(0n);
    expect(await available(X402_UNPAID_OWNER_ID)).toBe(0n);
    // The key-less payer reads its job with the token it was given.
    const page = await fetch(`${h.url}/ai-market/jobs/${job_id}`, {
      headers: { "x-agx-job-token": job_token },
    });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { status: string }).status).toBe("succeeded");
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 2n * PRICE);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("a pipeline whose process died after the broadcast, before claiming it: the reconciler claims the settlement once, the stale call claims nothing", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const stalled = await stalledPipeline("after_broadcast");
    const { job_id } = stalled;
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 2n * PRICE);
    const outcome = await reconcileX402Settlement(deps, job_id);
    expect(outcome.outcome).toBe("settled");
    const tx_hash = (outcome as { tx_hash: string }).tx_hash;
    // Claimed for the job: never provable again as a deposit.
    const again = await h.hub.ctx.db.transaction((tx) =>
      claimTx(tx, {
        chain: c.network,
        tx_hash,
        purpose: "deposit",
        subject: "someone",
        now_ms: Date.now(),
      }),
    );
    expect(again).toMatchObject({ outcome: "taken", purpose: "x402", subject: job_id });
    const ledger = await h.ledgerOk();
    expect((await stalled.resume()).status).toBe(200);
    expect(await h.ledgerOk()).toEqual(ledger);
    expect(await getPendingSettlement(h.hub.ctx.db.kysely, job_id)).toMatchObject({
      state: "settled",
      tx_hash,
    });
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 2n * PRICE);
    expect(ledger).toMatchObject({ ok: true, failures: [] });
  });

  it("a pipeline whose x402 authorization expired unused (broadcast lost, or never sent: the process died first) has its advance undone exactly once, and is never settled", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.payee.address);
    const test = createTestClient({ mode: "anvil", transport: http(c.rpc_url) });
    const handler = x402ReconcileHandler(deps);
    const messageOf = (order_id: string) =>
      ({ payload: { order_id } }) as unknown as Parameters<typeof handler>[0];
    const unpaid = await available(X402_UNPAID_OWNER_ID);
    const { job_id } = await pendingPipeline(async (id) => {
      // The broadcast is lost (dropped from the mempool): the authorization is never used.
      await test.request({ method: "anvil_dropAllTransactions" as never, params: [] as never });
      expect(await handler(messageOf(id))).toMatchObject({ outcome: "wait" });
    });
    const stalled = await stalledPipeline("before_broadcast");
    const died = stalled.job_id;
    expect(await handler(messageOf(died))).toMatchObject({ outcome: "wait" });
    // Woken, the stale call learns nothing of the settlement: pending, for the reconciler.
    expect((await stalled.resume()).status).toBe(504);
    // (The buyer's client signs with the machine's clock: paid calls end here for this chain.)
    await test.increaseTime({ seconds: 3_600 });
    await c.mine(1);
    for (const id of [job_id, died]) {
      const outcomes = await Promise.all([
        reconcileX402Settlement(deps, id),
        reconcileX402Settlement(deps, id),
      ]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(["done", "released"]);
      expect(await handler(messageOf(id))).toEqual({ outcome: "done" });
      expect(await getPendingSettlement(h.hub.ctx.db.kysely, id)).toMatchObject({
        state: "released",
      });
    }
    // The steps were paid from advances the chain never paid in: written off, visibly.
    expect(await available(X402_UNPAID_OWNER_ID)).toBe(unpaid - 4n * PRICE);
    expect(await available(owner())).toBe(0n);
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});
