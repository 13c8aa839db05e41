import type { SettleResponse } from "@x402/core/types";
import type { Database, Tx } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import { type Ledger, type TransferResult, transferProblem } from "../ledger/index.ts";
import type { Actor, Order, Payment } from "../orders/index.ts";
import {
  caip2Of,
  chainIdOf,
  claimTx,
  type ProofVerifier,
  type TransferProof,
  type VerifiedTransfer,
  x402Problems,
} from "../x402/index.ts";
import type { Purchases } from "./purchase.ts";

/**
 * Booking on-chain money on the hub's ledger. Amounts are the token's atomic units, which are
 * the ledger's minor units when the ledger asset has the token's decimals (USDC/USDT: 6).
 */

/**
 * Ledger transfer id of an on-chain transaction: `<kind>:<chain id>:<base64url of the 32-byte
 * hash>` (v1 network names are read as their chain ids). The hex hash does not fit the ledger's 64-character ids; base64url is the same bytes,
 * so one transaction has one id, and a replay is `exists` instead of a second credit.
 */
export function chainTransferId(kind: "x402" | "erc20", network: string, tx_hash: string): string {
  assert(/^0x[0-9a-fA-F]{64}$/.test(tx_hash), "a transaction hash is 32 bytes of hex");
  const bytes = Buffer.from(tx_hash.slice(2), "hex").toString("base64url");
  return `${kind}:${chainIdOf(caip2Of(network))}:${bytes}`;
}

/** The ledger owner of an address that pays without a hub account: its CAIP-10 account id. */
export function addressOwnerId(network: string, address: string): string {
  return `${caip2Of(network)}:${address.toLowerCase()}`;
}

/**
 * Records an x402 settlement as a deposit of `owner_id` (a principal, or `addressOwnerId`),
 * from the hub's external account, keyed by the transaction: booking it twice is `exists`.
 */
export async function bookX402Payment(
  tx: Tx,
  ledger: Ledger,
  spec: { owner_id: string; asset: string; amount_minor: bigint; settlement: SettleResponse },
): Promise<TransferResult> {
  const s = spec.settlement;
  assert(s.success && s.transaction !== "", "only a settled x402 payment is booked");
  const r = await ledger.deposit(tx, {
    id: chainTransferId("x402", s.network, s.transaction),
    owner_id: spec.owner_id,
    amount_minor: spec.amount_minor,
    asset: spec.asset,
    code: "x402_deposit",
    metadata: { rail: "x402", network: s.network, tx_hash: s.transaction, payer: s.payer ?? "" },
  });
  if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
  return r;
}

/**
 * A settled x402 payment buys one order, in one transaction: the deposit (keyed by the
 * transaction), then the purchase flow's own steps on the prepaid rail (order, intent, hold).
 * The order is `ready`; run it with `fulfilment.execute(order.id, actor, {auto_confirm: true})`.
 * The transaction is the order's `client_ref`, so a replay returns the same order, paid once.
 * A provider failure then refunds the hold into the payer's hub balance (not on chain).
 */
export async function purchaseWithX402(
  deps: { db: Database; ledger: Ledger; purchases: Purchases },
  spec: {
    buyer_id: string;
    asset: string;
    amount_minor: bigint;
    settlement: SettleResponse;
    service_id: string;
    operation?: string;
    input: unknown;
  },
): Promise<{ order: Order; payment: Payment | null; deposit: TransferResult["result"] }> {
  const actor: Actor = { id: spec.buyer_id, reason: "x402 purchase" };
  return deps.db.transaction(async (tx) => {
    const deposit = await bookX402Payment(tx, deps.ledger, {
      owner_id: spec.buyer_id,
      asset: spec.asset,
      amount_minor: spec.amount_minor,
      settlement: spec.settlement,
    });
    const made = await deps.purchases.createOrder(tx, {
      buyer_id: spec.buyer_id,
      rail: "prepaid",
      service_id: spec.service_id,
      ...(spec.operation ? { operation: spec.operation } : {}),
      input: spec.input,
      client_ref: chainTransferId("x402", spec.settlement.network, spec.settlement.transaction),
    });
    if (!made.created) return { order: made.order, payment: null, deposit: deposit.result };
    const intent = await deps.purchases.paymentIntent(tx, made.order, actor);
    if (intent.order.status !== "payment_pending") {
      return { order: intent.order, payment: intent.payment, deposit: deposit.result };
    }
    const paid = await deps.purchases.pay(tx, intent.order, actor, {
      amount_minor: spec.amount_minor,
    });
    return { order: paid.order, payment: paid.payment, deposit: deposit.result };
  });
}

/**
 * An on-chain deposit proven by an ERC-20 transfer to the hub: verified over RPC (outside any
 * transaction: it waits on the network), then, in one transaction, the transaction hash is
 * claimed for this owner for ever and the amount credited. A hash that already paid for
 * anything else is PAYMENT_TX_ALREADY_USED; the same deposit again is `exists`.
 */
export async function creditTransferProof(
  deps: { db: Database; ledger: Ledger; verifier: ProofVerifier; clock: Clock },
  spec: { owner_id: string; asset: string; proof: TransferProof },
): Promise<{ verified: VerifiedTransfer; deposit: TransferResult["result"] }> {
  const verified = await deps.verifier.verify(spec.proof);
  const id = chainTransferId("erc20", spec.proof.chain, spec.proof.tx_hash);
  return deps.db.transaction(async (tx) => {
    const claim = await claimTx(tx, {
      chain: spec.proof.chain,
      tx_hash: spec.proof.tx_hash,
      purpose: "deposit",
      subject: spec.owner_id,
      now_ms: deps.clock.now_ms(),
    });
    if (claim.outcome === "taken") {
      throw new Problem(
        x402Problems.PAYMENT_TX_ALREADY_USED,
        `${spec.proof.tx_hash} already paid for another ${claim.purpose}`,
      );
    }
    const r = await deps.ledger.deposit(tx, {
      id,
      owner_id: spec.owner_id,
      amount_minor: spec.proof.amount_raw,
      asset: spec.asset,
      code: "erc20_deposit",
      metadata: { rail: "wdk-usdt-transfer", chain: spec.proof.chain, tx_hash: verified.tx_hash },
    });
    if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
    return { verified, deposit: r.result };
  });
}
