import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressOwnerId, creditTransferProof } from "../../src/flows/x402.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { isProblem } from "../../src/kernel/problem.ts";
import { createLedger } from "../../src/ledger/index.ts";
import {
  createProofVerifier,
  type Hex,
  type TransferProof,
  x402Migrations,
} from "../../src/x402/index.ts";
import { TestStore } from "../support/stores.ts";
import { startX402Chain, type X402Chain } from "../support/x402-chain.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;
const AMOUNT = 5_000_000n;

afterAll(async () => {
  await chain?.stop();
});

/** A proof of `AMOUNT` from the buyer to the payee, for a transaction hash. */
function proofOf(tx_hash: Hex, patch: Partial<TransferProof> = {}): TransferProof {
  const c = need();
  return {
    chain: c.network,
    tx_hash,
    token: c.token,
    from: c.accounts.buyer.address,
    to: c.accounts.payee.address,
    amount_raw: AMOUNT,
    ...patch,
  };
}

/** The problem code (and status) a verification fails with, or "ok". */
async function outcome(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "ok";
  } catch (error) {
    if (!isProblem(error)) throw error;
    return `${error.code} ${error.status}`;
  }
}

run("ERC-20 transfer proofs verified over RPC", () => {
  const verifier = () => createProofVerifier({ rpc_urls: { [need().network]: need().rpc_url } });
  let paid: Hex;
  beforeAll(async () => {
    const c = need();
    paid = await c.transfer(c.accounts.buyer, c.accounts.payee.address, AMOUNT);
  });

  it("accepts a mined transfer of the token, parties and raw amount", async () => {
    const verified = await verifier().verify(proofOf(paid));
    expect(verified).toMatchObject({ chain: need().network, tx_hash: paid, log_index: 0 });
    expect(verified.confirmations).toBeGreaterThanOrEqual(1n);
  });

  it("needs an RPC endpoint for the chain (PAYMENT_RPC_REQUIRED)", async () => {
    const none = createProofVerifier({ rpc_urls: {} });
    expect(await outcome(none.verify(proofOf(paid)))).toBe("PAYMENT_RPC_REQUIRED 501");
  });

  it("reports an RPC endpoint that does not answer (PAYMENT_RPC_ERROR)", async () => {
    const down = createProofVerifier({ rpc_urls: { [need().network]: "http://127.0.0.1:9" } });
    expect(await outcome(down.verify(proofOf(paid)))).toBe("PAYMENT_RPC_ERROR 502");
  });

  it("says a transaction without a receipt is not mined, then accepts it once mined", async () => {
    const c = need();
    await c.setAutomine(false);
    try {
      const hash = await c.transfer(c.accounts.buyer, c.accounts.payee.address, AMOUNT, {
        wait: false,
      });
      expect(await outcome(verifier().verify(proofOf(hash)))).toBe("PAYMENT_NOT_MINED 409");
      await c.mine(1);
      expect(await outcome(verifier().verify(proofOf(hash)))).toBe("ok");
    } finally {
      await c.setAutomine(true);
    }
  });

  it("waits for the configured confirmations before accepting", async () => {
    const c = need();
    const hash = await c.transfer(c.accounts.buyer, c.accounts.payee.address, AMOUNT);
    const deep = createProofVerifier({
      rpc_urls: { [c.network]: c.rpc_url },
      confirmations_min: 3,
    });
    expect(await outcome(deep.verify(proofOf(hash)))).toBe("PAYMENT_NOT_MINED 409");
    await c.mine(2);
    expect(await outcome(deep.verify(proofOf(hash)))).toBe("ok");
  });

  it("refuses a transaction that reverted (PAYMENT_TX_FAILED)", async () => {
    const c = need();
    // `other` holds no tokens: with the gas fixed the transfer is mined and reverts.
    const hash = await c.transfer(c.accounts.other, c.accounts.payee.address, AMOUNT, {
      gas: 100_000n,
    });
    const proof = proofOf(hash, { from: c.accounts.other.address });
    expect(await outcome(verifier().verify(proof))).toBe("PAYMENT_TX_FAILED 402");
  });

  it("refuses a transfer of another amount, recipient or token (PAYMENT_TRANSFER_NOT_FOUND)", async () => {
    const c = need();
    const wrong: Partial<TransferProof>[] = [
      { amount_raw: AMOUNT + 1n },
      { to: c.accounts.other.address },
      { from: c.accounts.other.address },
      { token: c.accounts.other.address },
    ];
    for (const patch of wrong) {
      expect(await outcome(verifier().verify(proofOf(paid, patch)))).toBe(
        "PAYMENT_TRANSFER_NOT_FOUND 400",
      );
    }
  });
});

run("on-chain deposits from transfer proofs", () => {
  const store = new TestStore("sqlite");
  const clock = manualClock();
  const ledger = createLedger({ clock });
  beforeAll(async () => {
    const db = await store.open({ migrations: x402Migrations });
    await db.transaction((tx) => ledger.registerAssets(tx, [{ code: "USDC", decimals: 6 }]));
  });
  afterAll(() => store.close());

  it("credits a proven transfer once, and refuses its hash for anyone else", async () => {
    const c = need();
    const verifier = createProofVerifier({ rpc_urls: { [c.network]: c.rpc_url } });
    const deps = { db: store.db, ledger, verifier, clock };
    const hash = await c.transfer(c.accounts.buyer, c.accounts.payee.address, AMOUNT);
    const owner = addressOwnerId(c.network, c.accounts.buyer.address);
    const credit = (owner_id: string) =>
      creditTransferProof(deps, { owner_id, asset: "USDC", proof: proofOf(hash) });
    expect((await credit(owner)).deposit).toBe("created");
    expect((await credit(owner)).deposit).toBe("exists");
    expect(await outcome(credit("prn_someone_else"))).toBe("PAYMENT_TX_ALREADY_USED 409");
    const accounts = await ledger.accountsOf(store.db.kysely, owner);
    expect(accounts.find((a) => a.kind === "available")?.balance_minor).toBe(AMOUNT);
    expect((await ledger.verify(store.db.kysely)).ok).toBe(true);
  });
});
