import type { HDAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escrowChainOf } from "../../src/flows/escrow-chain.ts";
import { orderRefOf } from "../../src/flows/escrow-proof.ts";
import { getEscrowAction } from "../../src/x402/escrow-actions.ts";
import { describeStores } from "../support/stores.ts";
import { post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { ARBITER_LOCK_EVENT, deployArbiterEscrow } from "./arbiter-escrow.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const need = (): X402Chain => chain as X402Chain;

/**
 * An arbitrated on-chain escrow (test/x402/contracts/AgxEscrow.sol): the buyer locks the price
 * for the provider's bound address; confirming releases it on chain and cancelling refunds it,
 * sent by the hub's gas wallet as the arbiter; the payment moves only once the receipt is mined.
 */
afterAll(async () => {
  await chain?.stop();
});

const stores = chain ? describeStores : (title: string) => describe.skip(title, () => {});

stores("releasing and refunding on-chain escrow as its arbiter", (store) => {
  let h: X402Hub;
  let escrow: Awaited<ReturnType<typeof deployArbiterEscrow>>;
  const PRICE = 50_000n;

  beforeAll(async () => {
    const c = need();
    escrow = await deployArbiterEscrow(c, privateKeyToAccount(c.gas_key).address);
    h = await startX402Hub(c, {
      database: store.db,
      name: "answer-arbiter",
      price: "0.05",
      rails: ["agx-ledger", "onchain-escrow"],
      overrides: {
        evm_escrow: { [c.network]: { address: escrow.address, lock_event: ARBITER_LOCK_EVENT } },
        // The tests run each action themselves (settleAction), with a short log window.
        workers: false,
      },
    });
    await bind(h.seller.apiKey, c.accounts.spare);
  });
  afterAll(async () => {
    await h?.close();
  });

  const call = (key: string, path: string, body: unknown = {}) =>
    fetch(`${h.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  async function bind(key: string, account: HDAccount) {
    const res = await call(key, "/api/v1/key-bindings/challenges", { key: account.address });
    const c = ((await res.json()) as { item: { challengeId: string; message: string } }).item;
    const signature = await account.signMessage({ message: c.message });
    const bound = await call(key, "/api/v1/key-bindings", {
      challengeId: c.challengeId,
      signature,
    });
    expect(bound.status).toBe(201);
  }
  /** One buyer for every test: an address is bound to one principal only. */
  let buyer: string | null = null;
  async function buyerKey() {
    if (buyer) return buyer;
    const r = await post(`${h.url}/api/agents/register`, { handle: "arbiterbuyer" });
    buyer = ((await r.json()) as { apiKey: string }).apiKey;
    await bind(buyer, need().accounts.buyer);
    return buyer;
  }
  /** An onchain-escrow order, locked for `payee` and proven: ready, payment held. */
  async function lockedOrder(key: string, payee = need().accounts.spare.address) {
    const c = need();
    const res = await call(key, "/api/v1/market/orders", {
      service_id: h.service_id,
      input: { text: "x" },
      rail: "onchain-escrow",
    });
    const id = ((await res.json()) as { id: string }).id;
    await call(key, `/api/v1/market/orders/${id}/payment-intent`);
    const tx_hash = await escrow.lock(c.accounts.buyer, {
      order_ref: orderRefOf(id),
      token: c.token,
      amount: PRICE,
      payee,
    });
    const proven = await call(key, `/api/v1/market/orders/${id}/payment/escrow-lock`, {
      tx_hash,
      chain: c.network,
    });
    return { id, proven };
  }
  const ctx = () => h.hub.ctx;
  const paymentOf = (id: string) => ctx().orders.paymentOf(ctx().db.kysely, id);
  const chainOf = () =>
    escrowChainOf({
      db: ctx().db,
      clock: ctx().clock,
      logger: ctx().logger,
      orders: ctx().orders,
      fulfilment: ctx().fulfilment,
      config: ctx().config,
      log_window_blocks: 100n,
    });
  /** Runs the action (the hub's outbox worker is off here: the test drives each step). */
  async function settleAction(id: string) {
    for (let i = 0; i < 50; i++) {
      await chainOf().act(id);
      const a = await getEscrowAction(ctx().db.kysely, id);
      if (a?.state === "done" || a?.state === "failed") return a;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`escrow action of ${id} did not end`);
  }

  it("confirming an onchain-escrow order releases the lock to the provider on chain and the ledger verifies", async () => {
    const c = need();
    const key = await buyerKey();
    const { id, proven } = await lockedOrder(key);
    expect(proven.status).toBe(200);
    // The order told the buyer which payee its lock may name: the provider's bound address.
    const read = await fetch(`${h.url}/api/v1/market/orders/${id}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const instructions = ((await read.json()) as { payment_instructions: { payees: string[] } })
      .payment_instructions;
    expect(instructions.payees.map((a) => a.toLowerCase())).toEqual([
      c.accounts.spare.address.toLowerCase(),
    ]);
    const payment = await paymentOf(id);
    expect(payment).toMatchObject({ status: "held", verification: "rpc" });
    expect(payment.proof).toMatchObject({ arbitrated: true, payee: c.accounts.spare.address });
    const before = await c.balanceOf(c.accounts.spare.address);
    expect((await call(key, `/api/v1/market/orders/${id}/execute`)).status).toBe(200);
    expect((await call(key, `/api/v1/market/orders/${id}/confirm`)).status).toBe(200);
    const a = await settleAction(id);
    expect(a).toMatchObject({ action: "release", state: "done" });
    expect(await escrow.stateOf(orderRefOf(id))).toBe(2);
    expect(await c.balanceOf(c.accounts.spare.address)).toBe(before + PRICE);
    const released = await paymentOf(id);
    expect(released.status).toBe("released");
    expect(released.proof).toMatchObject({ release_tx_hash: a.tx_hash });
    const receipt = await c.pub.getTransactionReceipt({ hash: a.tx_hash as `0x${string}` });
    expect(receipt.status).toBe("success");
    // Acting again changes nothing: the lock is released once.
    expect(await chainOf().act(id)).toEqual({ outcome: "ended" });
    expect(await c.balanceOf(c.accounts.spare.address)).toBe(before + PRICE);
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("cancelling a locked onchain-escrow order refunds the lock to the buyer on chain", async () => {
    const c = need();
    const key = await buyerKey();
    const { id } = await lockedOrder(key);
    const before = await c.balanceOf(c.accounts.buyer.address);
    expect((await call(key, `/api/v1/market/orders/${id}/cancel`)).status).toBe(200);
    // Until the refund is mined the payment still holds.
    expect((await paymentOf(id)).status).toBe("held");
    const a = await settleAction(id);
    expect(a).toMatchObject({ action: "refund", state: "done" });
    expect(await escrow.stateOf(orderRefOf(id))).toBe(3);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before + PRICE);
    const refunded = await paymentOf(id);
    expect(refunded.status).toBe("refunded");
    expect(refunded.proof).toMatchObject({ refund_tx_hash: a.tx_hash });
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("finishes a release mined but never recorded (a crash after the broadcast) with the transaction that did it, found blocks after the lock", async () => {
    const c = need();
    const key = await buyerKey();
    const { id } = await lockedOrder(key);
    expect((await call(key, `/api/v1/market/orders/${id}/execute`)).status).toBe(200);
    // More blocks than three log queries span (this test's chain walks 100 at a time) pass
    // between the lock and its release.
    await c.pub.request({ method: "anvil_mine" as never, params: ["0x12c"] as never });
    const hub = privateKeyToAccount(c.gas_key);
    const { createWalletClient, http } = await import("viem");
    const { chainOf: chainFor } = await import("../../src/x402/index.ts");
    const wallet = createWalletClient({
      account: hub,
      chain: chainFor(c.chain_id, c.rpc_url),
      transport: http(c.rpc_url),
    });
    const { arbiterEscrowAbi } = await import("./arbiter-escrow.ts");
    const release = await wallet.writeContract({
      address: escrow.address,
      abi: arbiterEscrowAbi,
      functionName: "release",
      args: [orderRefOf(id)],
    });
    await c.pub.waitForTransactionReceipt({ hash: release });
    expect((await call(key, `/api/v1/market/orders/${id}/confirm`)).status).toBe(200);
    const a = await settleAction(id);
    expect(a).toMatchObject({ action: "release", state: "done", tx_hash: release });
    const released = await paymentOf(id);
    expect(released).toMatchObject({ status: "released" });
    expect(released.proof).toMatchObject({ release_tx_hash: release });
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });

  it("refuses a lock whose payee the provider never bound, fails a release the chain refuses without moving the payment, and lets an operator retry it", async () => {
    const c = need();
    const key = await buyerKey();
    const { proven } = await lockedOrder(key, c.accounts.other.address);
    expect(proven.status).toBe(422);
    expect(((await proven.json()) as { code: string }).code).toBe("PAYMENT_PROOF_INVALID");
    // The lock is refunded behind the hub's back: its release can only fail.
    const { id } = await lockedOrder(key);
    expect((await call(key, `/api/v1/market/orders/${id}/execute`)).status).toBe(200);
    const hub = privateKeyToAccount(c.gas_key);
    const { createWalletClient, http } = await import("viem");
    const { chainOf: chainFor } = await import("../../src/x402/index.ts");
    const wallet = createWalletClient({
      account: hub,
      chain: chainFor(c.chain_id, c.rpc_url),
      transport: http(c.rpc_url),
    });
    const { arbiterEscrowAbi } = await import("./arbiter-escrow.ts");
    const refund = await wallet.writeContract({
      address: escrow.address,
      abi: arbiterEscrowAbi,
      functionName: "refund",
      args: [orderRefOf(id)],
    });
    await c.pub.waitForTransactionReceipt({ hash: refund });
    expect((await call(key, `/api/v1/market/orders/${id}/confirm`)).status).toBe(200);
    const a = await settleAction(id);
    expect(a).toMatchObject({ state: "failed", error_code: "PAYMENT_ESCROW_LOCK_NOT_FOUND" });
    expect((await paymentOf(id)).status).toBe("held");
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });

    // The operator sees it among the failed actions and retries it: it runs again from the
    // lock's state (still refunded, so it fails again) and the payment still does not move.
    const admin = (path: string, method = "GET") =>
      fetch(`${h.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${h.admin}`, "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
    const failed = (await (await admin("/api/v1/admin/escrow-actions?state=failed")).json()) as {
      items: { order_id: string; error_code: string }[];
    };
    expect(failed.items).toContainEqual(
      expect.objectContaining({ order_id: id, error_code: "PAYMENT_ESCROW_LOCK_NOT_FOUND" }),
    );
    const retried = await admin(`/api/v1/admin/escrow-actions/${id}/retry`, "POST");
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ state: "pending", error_code: null, error: null });
    expect(await settleAction(id)).toMatchObject({
      state: "failed",
      error_code: "PAYMENT_ESCROW_LOCK_NOT_FOUND",
    });
    expect((await paymentOf(id)).status).toBe("held");
    // A buyer may not retry; an order without an action, or one not failed, is refused.
    const byBuyer = await call(key, `/api/v1/admin/escrow-actions/${id}/retry`);
    expect(byBuyer.status).toBe(403);
    const unknown = await admin(`/api/v1/admin/escrow-actions/ord_${"0".repeat(26)}/retry`, "POST");
    expect(((await unknown.json()) as { code: string }).code).toBe("ESCROW_ACTION_NOT_FOUND");
    const { id: releasedId } = await lockedOrder(key);
    expect((await call(key, `/api/v1/market/orders/${releasedId}/execute`)).status).toBe(200);
    expect((await call(key, `/api/v1/market/orders/${releasedId}/confirm`)).status).toBe(200);
    expect(await settleAction(releasedId)).toMatchObject({ state: "done" });
    const done = await admin(`/api/v1/admin/escrow-actions/${releasedId}/retry`, "POST");
    expect(done.status).toBe(409);
    expect(((await done.json()) as { code: string }).code).toBe("ESCROW_ACTION_NOT_FAILED");
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});
