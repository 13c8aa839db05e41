import type { PaymentRequired } from "@x402/core/types";
import { createWalletClient, http, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import {
  chainOf,
  createEvmSigner,
  createLocalFacilitator,
  encodePaymentHeader,
  type Hex,
  type VerifiedPayment,
} from "../../src/x402/index.ts";
import { buyer, gateOn, startX402Chain, type X402Chain } from "../support/x402-chain.ts";

const PRICE = 10_000n;
const MNEMONIC = "test test test test test test test test test test test junk";
const keyOf = (i: number) =>
  toHex(mnemonicToAccount(MNEMONIC, { addressIndex: i }).getHdKey().privateKey as Uint8Array);

const chain: X402Chain | null = await startX402Chain();
afterAll(async () => {
  await chain?.stop();
});
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/** A gate over its own gas wallet (anvil dev account `index`), and `n` verified payments. */
async function verifiedPayments(
  index: number,
  n: number,
  receipt_timeout_ms = 20_000,
  rpc_url = need().rpc_url,
) {
  const c = need();
  const signer = createEvmSigner({
    rpc_url,
    chain_id: c.chain_id,
    private_key: keyOf(index),
    receipt_timeout_ms,
  });
  const gate = gateOn(c, createLocalFacilitator({ signer, networks: [c.network] }));
  const unpaid = { headers: {}, amount_atomic: PRICE, resource: { url: "http://x/perf" } };
  const required = (await gate.challenge(unpaid, "Payment required")).payment_required;
  const client = buyer(c, c.accounts.buyer).client;
  const out: VerifiedPayment[] = [];
  for (let i = 0; i < n; i++) {
    const payload = await client.createPaymentPayload(required as unknown as PaymentRequired);
    const headers = { "payment-signature": encodePaymentHeader(payload) };
    const decision = await gate.check({ ...unpaid, headers });
    if (decision.kind !== "verified") throw new Error(`not verified: ${decision.kind}`);
    out.push(decision.payment);
  }
  return { out, address: mnemonicToAccount(MNEMONIC, { addressIndex: index }).address };
}

/** Polls the node's pool until `pending` transactions wait in it (bounded; not a timing claim). */
async function poolHolds(c: X402Chain, pending: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = (await c.pub.request({ method: "txpool_status" as never })) as { pending: Hex };
    if (Number(s.pending) === pending) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the pool never held ${pending} transactions`);
}

const dropAll = (c: X402Chain) =>
  c.pub.request({ method: "anvil_dropAllTransactions" as never, params: [] as never });

run("the facilitator's signer: local nonces, pipelined sends, one receipt watcher", () => {
  it("pipelines settlements of one key: consecutive nonces, one block, all settled", async () => {
    const c = need();
    const { out, address } = await verifiedPayments(6, 8);
    const before = await c.balanceOf(c.accounts.payee.address);
    const first = await c.pub.getTransactionCount({ address });
    await c.setAutomine(false);
    let outcomes: Awaited<ReturnType<VerifiedPayment["settle"]>>[];
    try {
      const settling = out.map((p) => p.settle());
      // All eight are handed to the node before any is mined: nothing waits on a receipt.
      await poolHolds(c, 8);
      await c.mine(1);
      outcomes = await Promise.all(settling);
    } finally {
      await c.setAutomine(true);
    }
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill("settled"));
    const txs = await Promise.all(
      outcomes.map((o) => c.pub.getTransaction({ hash: o.response.transaction as Hex })),
    );
    expect(txs.map((t) => t.nonce).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 8 }, (_, i) => first + i),
    );
    expect(new Set(txs.map((t) => t.blockNumber)).size).toBe(1);
    expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 8n * PRICE);
  });

  it("shares one nonce queue between signers of one key on two URLs of the node", async () => {
    const c = need();
    // The settlement signer and the escrow arbiter may reach one node by two spellings.
    const a = await verifiedPayments(9, 4);
    const b = await verifiedPayments(9, 4, 20_000, `${c.rpc_url}/`);
    const first = await c.pub.getTransactionCount({ address: a.address });
    await c.setAutomine(false);
    let outcomes: Awaited<ReturnType<VerifiedPayment["settle"]>>[];
    try {
      const settling = [...a.out, ...b.out].map((p) => p.settle());
      await poolHolds(c, 8);
      await c.mine(1);
      outcomes = await Promise.all(settling);
    } finally {
      await c.setAutomine(true);
    }
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill("settled"));
    const txs = await Promise.all(
      outcomes.map((o) => c.pub.getTransaction({ hash: o.response.transaction as Hex })),
    );
    expect(txs.map((t) => t.nonce).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 8 }, (_, i) => first + i),
    );
  });

  it("re-reads its nonce from the chain once a broadcast was dropped, so later ones mine", async () => {
    const c = need();
    const { out, address } = await verifiedPayments(7, 2, 500);
    const nonce = await c.pub.getTransactionCount({ address });
    await c.setAutomine(false);
    let lost: Awaited<ReturnType<VerifiedPayment["settle"]>>;
    try {
      const settling = out[0]?.settle() as ReturnType<VerifiedPayment["settle"]>;
      await poolHolds(c, 1);
      await dropAll(c);
      lost = await settling;
    } finally {
      await c.setAutomine(true);
    }
    expect([lost.status, lost.response.errorReason]).toEqual(["pending", "settlement_pending"]);
    // Without the re-read it would take nonce + 1 and wait behind a gap for ever (pending).
    const next = await out[1]?.settle();
    expect(next?.status).toBe("settled");
    const tx = await c.pub.getTransaction({ hash: next?.response.transaction as Hex });
    expect(tx.nonce).toBe(nonce);
  });

  it("takes a fresh nonce when another sender used the key's next one", async () => {
    const c = need();
    const { out } = await verifiedPayments(8, 2);
    expect((await out[0]?.settle())?.status).toBe("settled");
    const account = mnemonicToAccount(MNEMONIC, { addressIndex: 8 });
    const wallet = createWalletClient({
      account,
      chain: chainOf(c.chain_id, c.rpc_url),
      transport: http(c.rpc_url),
    });
    await c.pub.waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ to: account.address, value: 0n }),
    });
    expect((await out[1]?.settle())?.status).toBe("settled");
  });

  it("does not broadcast a settlement whose simulation now fails (nothing is charged)", async () => {
    const c = need();
    const { out } = await verifiedPayments(9, 1);
    // The payer's balance leaves between verify and settle.
    const all = await c.balanceOf(c.accounts.buyer.address);
    await c.transfer(c.accounts.buyer, c.accounts.other.address, all);
    try {
      const outcome = await out[0]?.settle();
      expect([outcome?.status, outcome?.response.transaction]).toEqual(["failed", ""]);
    } finally {
      await c.transfer(c.accounts.other, c.accounts.buyer.address, all);
    }
  });
});
