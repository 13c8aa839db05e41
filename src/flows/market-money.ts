import type { Tx } from "../db/db.ts";
import { HUB_OWNER_ID, type Ledger, type TransferInput, transferProblem } from "../ledger/index.ts";
import { type Dispute, holdIdOf, type MarketOrder } from "../market/index.ts";

/**
 * The ledger side of a market order. Transfer ids derive from the order id, so a retried step
 * replays (`exists`) instead of moving money twice. The buyer's money waits in the hub's escrow
 * account as a hold; accept posts it and pays the seller minus the fee, all or nothing; cancel
 * voids it; an operator's decision posts the seller's share and the rest returns to the buyer.
 */

function ok(results: { result: string; id: string }[]) {
  for (const r of results) {
    if (r.result !== "created" && r.result !== "exists") throw transferProblem(r as never);
  }
}

const escrowOf = (tx: Tx, ledger: Ledger, asset: string) =>
  ledger.openAccount(tx, { owner_id: HUB_OWNER_ID, asset, kind: "escrow" });

/** Holds the agreed price from the buyer's available balance (LEDGER_INSUFFICIENT_FUNDS). */
export async function holdEscrow(tx: Tx, ledger: Ledger, order: MarketOrder): Promise<void> {
  const { price_minor, asset } = order.terms;
  const buyer = await ledger.openAccount(tx, {
    owner_id: order.buyer_id,
    asset,
    kind: "available",
  });
  const escrow = await escrowOf(tx, ledger, asset);
  ok([
    await ledger.transfer(tx, {
      op: "hold",
      id: holdIdOf(order.id),
      debit_account_id: buyer.id,
      credit_account_id: escrow.id,
      amount_minor: price_minor,
      asset,
      code: "market_escrow",
      metadata: { market_order_id: order.id },
    }),
  ]);
}

/** Posts `posted_minor` of the hold and pays the seller that amount minus `fee_minor`. */
async function payOut(
  tx: Tx,
  ledger: Ledger,
  order: MarketOrder,
  posted_minor: bigint,
  fee_minor: bigint,
): Promise<void> {
  const { asset } = order.terms;
  const escrow = await escrowOf(tx, ledger, asset);
  const seller = await ledger.openAccount(tx, {
    owner_id: order.seller_id,
    asset,
    kind: "available",
  });
  const batch: TransferInput[] = [
    {
      op: "post",
      id: `${order.id}.post`,
      pending_id: holdIdOf(order.id),
      amount_minor: posted_minor,
    },
    {
      op: "transfer",
      id: `${order.id}.payout`,
      debit_account_id: escrow.id,
      credit_account_id: seller.id,
      amount_minor: posted_minor - fee_minor,
      asset,
      code: "market_payout",
      metadata: { market_order_id: order.id },
    },
  ];
  if (fee_minor > 0n) {
    const fees = await ledger.hubAccount(tx, asset, "fees");
    batch.push({
      op: "transfer",
      id: `${order.id}.fee`,
      debit_account_id: escrow.id,
      credit_account_id: fees.id,
      amount_minor: fee_minor,
      asset,
      code: "hub_fee",
      metadata: { market_order_id: order.id },
    });
  }
  // A zero payout (the whole share is fee) is no transfer at all.
  const moves = batch.filter((t) => t.op !== "transfer" || t.amount_minor > 0n);
  ok(await ledger.createTransfers(tx, moves, { linked: true }));
}

/** Accept: the whole hold to the seller, minus the hub fee, in one linked batch. */
export function releaseEscrow(tx: Tx, ledger: Ledger, order: MarketOrder): Promise<void> {
  return payOut(tx, ledger, order, order.terms.price_minor, order.fee_minor);
}

/** Cancel after funding: the hold is voided and the buyer's money is available again. */
export async function refundEscrow(tx: Tx, ledger: Ledger, order: MarketOrder): Promise<void> {
  ok([
    await ledger.transfer(tx, {
      op: "void",
      id: `${order.id}.void`,
      pending_id: holdIdOf(order.id),
    }),
  ]);
}

/**
 * The operator's decision: the seller's share of the hold is posted (the rest returns to the
 * buyer by the ledger's partial post) and paid out minus its share of the fee, in one linked
 * batch; a zero share voids the hold.
 */
export async function splitEscrow(
  tx: Tx,
  ledger: Ledger,
  order: MarketOrder,
  dispute: Dispute,
): Promise<void> {
  const d = dispute.decision;
  if (!d) throw new Error(`dispute of ${order.id} has no decision to apply`);
  const gross = d.seller_minor + d.fee_minor;
  if (gross === 0n) return refundEscrow(tx, ledger, order);
  return payOut(tx, ledger, order, gross, d.fee_minor);
}
