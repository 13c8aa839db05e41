import { getAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderRefOf } from "../../src/flows/escrow-proof.ts";
import { claimProofTx } from "../../src/flows/tx-proof.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import { post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { deployEscrow, LOCK_EVENT } from "./escrow-contract.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

const SOLANA = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp";
const SOLANA_SIG =
  "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW";

/**
 * peaq's onchain-escrow rail (the buyer locks the price in an escrow contract and proves it on
 * POST …/payment/escrow-lock) and the mpp rail (recorded only), on a real anvil with a real
 * escrow contract emitting the lock event the hub is configured to read.
 */
run("orders paid by an on-chain escrow lock, and mpp proofs", () => {
  let h: X402Hub;
  let escrow: Awaited<ReturnType<typeof deployEscrow>>;
  let rogue: Awaited<ReturnType<typeof deployEscrow>>;
  const PRICE = 50_000n; // 0.05 USDC
  type Account = { address: string; signMessage: (a: { message: string }) => Promise<string> };

  beforeAll(async () => {
    const c = need();
    escrow = await deployEscrow(c);
    // The same contract at another address: not the escrow this hub trusts.
    rogue = await deployEscrow(c);
    h = await startX402Hub(c, {
      name: "answer-escrow",
      price: "0.05",
      rails: ["agx-ledger", "offchain-record", "onchain-escrow", "mpp"],
      overrides: {
        evm_escrow: { [c.network]: { address: escrow.address, lock_event: LOCK_EVENT } },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await chain?.stop();
  });

  const call = (key: string, path: string, body: unknown = {}, method = "POST") =>
    fetch(`${h.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(method === "POST" ? { "content-type": "application/json" } : {}),
      },
      ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
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
  type Wire = { status: string; payment: Record<string, unknown> | null };
  async function order(key: string, rail: string): Promise<string> {
    const res = await call(key, "/api/v1/market/orders", {
      service_id: h.service_id,
      input: { text: "x" },
      rail,
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    const intent = await call(key, `/api/v1/market/orders/${id}/payment-intent`);
    expect(((await intent.json()) as { order: Wire }).order.status).toBe("payment_pending");
    return id;
  }
  const lock = (key: string, id: string, body: Record<string, unknown>) =>
    call(key, `/api/v1/market/orders/${id}/payment/escrow-lock`, body);
  const prove = (key: string, id: string, proof: Record<string, unknown>) =>
    call(key, `/api/v1/market/orders/${id}/payment-proof`, { proof });
  const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code;
  const refused = async (res: Response) => [res.status, await codeOf(res)];
  async function wire(key: string, id: string): Promise<Wire> {
    const res = await call(key, `/api/v1/market/orders/${id}`, undefined, "GET");
    const body = (await res.json()) as { order?: Wire } & Wire;
    return body.order ?? body;
  }
  async function available(key: string): Promise<string> {
    const res = await call(key, "/api/v1/balances", undefined, "GET");
    const items = ((await res.json()) as { items: { asset: string; available: string }[] }).items;
    return items.find((a) => a.asset === "USDC")?.available ?? "0";
  }
  /** The agx details a receipt (compact JWS) signs, in either receipt profile. */
  function receiptDetails(jws: string): Record<string, unknown> {
    const payload = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString()) as {
      details?: Record<string, unknown>;
      extensions?: Record<string, { details?: Record<string, unknown> }>;
    };
    return payload.details ?? payload.extensions?.["dev.agx/receipt"]?.details ?? {};
  }
  const ledgerIsSound = async () =>
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });

  it("tells the buyer where to lock: the escrow contract, the order reference and the proof route", async () => {
    const c = need();
    const key = await register("escrowinstructions");
    const id = await order(key, "onchain-escrow");
    const res = await call(key, `/api/v1/market/orders/${id}`, undefined, "GET");
    const wire = (await res.json()) as {
      payment_instructions: { chains: { chain: string }[] } & Record<string, unknown>;
    };
    expect(wire.payment_instructions).toMatchObject({
      pay_to: null,
      amount_minor: PRICE.toString(),
      order_ref: orderRefOf(id),
      proof: { path: `/api/v1/market/orders/${id}/payment/escrow-lock` },
    });
    expect(wire.payment_instructions.chains.find((x) => x.chain === c.network)).toMatchObject({
      escrow: escrow.address,
      verified: true,
    });
  });

  it("makes an order ready on a verified lock, once: the hash never pays another order", async () => {
    const c = need();
    const key = await register("escrowbuyer");
    await bind(key, c.accounts.buyer);
    const id = await order(key, "onchain-escrow");
    const hash = await escrow.lock(c.accounts.buyer, {
      order_ref: orderRefOf(id),
      token: c.token,
      amount: PRICE,
    });
    const res = await lock(key, id, { tx_hash: hash, chain: c.network });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { order: Wire; receipt: string };
    expect(body.order).toMatchObject({
      status: "ready",
      payment: { status: "held", verification: "rpc", hold_id: null },
    });
    expect(receiptDetails(body.receipt)).toMatchObject({ verification: "rpc", tx_hash: hash });
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, id);
    expect(payment.proof).toMatchObject({
      verified: true,
      escrow_address: getAddress(escrow.address),
      payer: c.accounts.buyer.address,
      amount_raw: PRICE.toString(),
      order_ref: orderRefOf(id),
    });
    // The money is in the contract, not the hub's: no balance moved on the ledger.
    expect(await available(key)).toBe("0");
    const again = await lock(key, id, { tx_hash: hash, chain: c.network });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { order: Wire }).order.status).toBe("ready");
    // The lock names its order (orderRef), so another order can never take it…
    const other = await order(key, "onchain-escrow");
    expect(await refused(await lock(key, other, { tx_hash: hash, chain: c.network }))).toEqual([
      400,
      "PAYMENT_ESCROW_LOCK_NOT_FOUND",
    ]);
    // …and the hash is claimed for ever: no deposit, transfer proof or settlement can reuse it.
    const reuse = h.hub.ctx.db.transaction((tx) =>
      claimProofTx(tx, systemClock, { chain: c.network, tx_hash: hash }, "deposit", "someone"),
    );
    await expect(reuse).rejects.toMatchObject({ spec: { code: "PAYMENT_TX_ALREADY_USED" } });
    await ledgerIsSound();
  });

  it("refuses a lock in another contract, by a stranger, for less, for another order or token, reverted or unmined", async () => {
    const c = need();
    const key = await register("escrowbuyer2");
    await bind(key, c.accounts.other);
    const id = await order(key, "onchain-escrow");
    const good = { order_ref: orderRefOf(id), token: c.token, amount: PRICE };
    const proof = (tx_hash: Hex, extra: Record<string, unknown> = {}) =>
      lock(key, id, { tx_hash, chain: c.network, ...extra });

    const elsewhere = await rogue.lock(c.accounts.other, good);
    expect(await refused(await proof(elsewhere))).toEqual([400, "PAYMENT_ESCROW_LOCK_NOT_FOUND"]);
    expect(await refused(await proof(elsewhere, { escrow_address: rogue.address }))).toEqual([
      422,
      "PAYMENT_PROOF_INVALID",
    ]);
    const stranger = await escrow.lock(c.accounts.spare, good);
    expect(await refused(await proof(stranger))).toEqual([403, "PAYMENT_SENDER_UNKNOWN"]);
    const short = await escrow.lock(c.accounts.other, { ...good, amount: PRICE - 1n });
    expect(await refused(await proof(short))).toEqual([422, "PAYMENT_AMOUNT_MISMATCH"]);
    const misdirected = await escrow.lock(c.accounts.other, {
      ...good,
      order_ref: orderRefOf("ord_00000000000000000000000000"),
    });
    expect(await refused(await proof(misdirected))).toEqual([400, "PAYMENT_ESCROW_LOCK_NOT_FOUND"]);
    const wrongToken = await escrow.lock(c.accounts.other, {
      ...good,
      token: c.accounts.spare.address,
    });
    expect(await refused(await proof(wrongToken))).toEqual([400, "PAYMENT_ESCROW_LOCK_NOT_FOUND"]);
    const reverted = await escrow.lock(
      c.accounts.other,
      { ...good, amount: 0n },
      { gas: 100_000n },
    );
    expect(await refused(await proof(reverted))).toEqual([402, "PAYMENT_TX_FAILED"]);
    expect((await wire(key, id)).status).toBe("payment_pending");

    await c.setAutomine(false);
    let waiting: Hex = "0x";
    try {
      waiting = await escrow.lock(c.accounts.other, good, { wait: false });
      expect(await refused(await proof(waiting))).toEqual([409, "PAYMENT_NOT_MINED"]);
    } finally {
      await c.setAutomine(true);
    }
    await c.mine(1);
    const paid = await proof(waiting, { escrow_address: escrow.address });
    expect(paid.status).toBe(200);
    expect((await wire(key, id)).payment).toMatchObject({ status: "held", verification: "rpc" });
    await ledgerIsSound();
  });

  it("records a lock on a chain without a configured escrow, visibly unverified", async () => {
    const key = await register("escrowbuyer3");
    const solana = await order(key, "onchain-escrow");
    const res = await lock(key, solana, { tx_hash: SOLANA_SIG, chain: SOLANA });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { order: Wire; receipt: string };
    expect(body.order).toMatchObject({
      status: "ready",
      payment: { status: "held", verification: "recorded", hold_id: null },
    });
    expect(receiptDetails(body.receipt)).toMatchObject({ verification: "recorded" });
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, solana);
    expect(payment.proof).toMatchObject({ verification: "recorded", verified: false });
    // A recorded hash is claimed as well: it pays no second order.
    const twice = await order(key, "onchain-escrow");
    expect(await refused(await lock(key, twice, { tx_hash: SOLANA_SIG, chain: SOLANA }))).toEqual([
      409,
      "PAYMENT_TX_ALREADY_USED",
    ]);
    // An EVM chain this hub has no escrow (nor RPC) for: recorded as well, never checked.
    const mainnet = await order(key, "onchain-escrow");
    const hash = `0x${"ab".repeat(32)}`;
    const recorded = await lock(key, mainnet, { tx_hash: hash, chain: "eip155:1" });
    expect(((await recorded.json()) as { order: Wire }).order.payment).toMatchObject({
      verification: "recorded",
    });
    // The escrow-lock of an onchain-escrow order is its only proof; payment-proof points there.
    const wrongRoute = await order(key, "onchain-escrow");
    expect(
      await refused(await prove(key, wrongRoute, { tx_hash: hash, chain: "eip155:1" })),
    ).toEqual([422, "PAYMENT_RAIL_UNSUPPORTED"]);
    // A ledger-escrow order takes no lock transaction.
    const ledgerEscrow = await order(key, "escrow");
    expect(
      await refused(await lock(key, ledgerEscrow, { tx_hash: hash, chain: "eip155:1" })),
    ).toEqual([422, "PAYMENT_PROOF_INVALID"]);
    expect(await available(key)).toBe("0");
    await ledgerIsSound();
  });

  it("records mpp proofs only, even a verifiable transfer, and pays no one on the ledger", async () => {
    const c = need();
    const key = await register("mppbuyer");
    await bind(key, c.accounts.spare);
    const solana = await order(key, "mpp");
    const signature = `${SOLANA_SIG.slice(0, -4)}mppA`;
    const res = await prove(key, solana, { tx_hash: signature, chain: SOLANA });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { order: Wire; receipt: string };
    expect(body.order).toMatchObject({
      status: "ready",
      payment: { status: "held", verification: "recorded", hold_id: null },
    });
    expect(receiptDetails(body.receipt)).toMatchObject({ verification: "recorded" });
    // A real transfer to the hub on a chain it can read: still only recorded on an mpp order.
    await c.mint(c.accounts.spare.address, PRICE);
    const hash = await c.transfer(c.accounts.spare, c.accounts.payee.address, PRICE);
    const evm = await order(key, "mpp");
    const proved = await prove(key, evm, { tx_hash: hash, chain: c.network });
    expect(((await proved.json()) as { order: Wire }).order.payment).toMatchObject({
      verification: "recorded",
    });
    const payment = await h.hub.ctx.orders.paymentOf(h.hub.ctx.db.kysely, evm);
    expect(payment.proof).toMatchObject({ verification: "recorded", verified: false });
    expect(await available(key)).toBe("0");
    // Delivered and confirmed: the provider is paid outside agx, nothing moves on the ledger.
    expect((await call(key, `/api/v1/market/orders/${solana}/execute`)).status).toBe(200);
    expect((await call(key, `/api/v1/market/orders/${solana}/confirm`)).status).toBe(200);
    expect(await available(h.seller.apiKey)).toBe("0");
    await ledgerIsSound();
  });
});
