import type { Tx } from "../db/db.ts";
import { HUB_OWNER_ID, type Ledger, type TransferInput, transferProblem } from "../ledger/index.ts";
import type { Order, Payment } from "../orders/index.ts";

/**
 * The ledger side of a payment. Transfer ids derive from the payment id, so a retried step
 * replays (`exists`) instead of moving money twice. Money waits in the hub's escrow account
 * between hold and release; release pays the provider and books the hub fee in one linked batch.
 */
export const holdIdOf = (p: Payment) => `${p.id}.hold`;

function ok(results: { result: string; id: string }[]) {
  for (const r of results) {
    if (r.result !== "created" && r.result !== "exists") throw transferProblem(r as never);
  }
}

/** Reserves the order's amount from `from_owner`'s account (the buyer, or a channel). */
export async function holdFunds(
  tx: Tx,
  ledger: Ledger,
  spec: { payment: Payment; from_owner: string; from_kind: "available" | "escrow" },
): Promise<string> {
  const { payment } = spec;
  const from = await ledger.accountId(tx, {
    owner_id: spec.from_owner,
    asset: payment.asset,
    kind: spec.from_kind,
  });
  const escrow = await ledger.accountId(tx, {
    owner_id: HUB_OWNER_ID,
    asset: payment.asset,
    kind: "escrow",
  });
  const id = holdIdOf(payment);
  ok([
    await ledger.transfer(tx, {
      op: "hold",
      id,
      debit_account_id: from,
      credit_account_id: escrow,
      amount_minor: payment.amount_minor,
      asset: payment.asset,
      code: "order_payment",
      metadata: { order_id: payment.order_id, payment_id: payment.id },
    }),
  ]);
  return id;
}

/** Posts the hold and pays the provider, minus the hub fee, all or nothing. */
export async function releaseFunds(
  tx: Tx,
  ledger: Ledger,
  order: Order,
  payment: Payment,
): Promise<void> {
  const escrow = await ledger.accountId(tx, {
    owner_id: HUB_OWNER_ID,
    asset: payment.asset,
    kind: "escrow",
  });
  const provider = await ledger.accountId(tx, {
    owner_id: order.provider_id,
    asset: payment.asset,
    kind: "available",
  });
  const batch: TransferInput[] = [
    { op: "post", id: `${payment.id}.post`, pending_id: holdIdOf(payment) },
    {
      op: "transfer",
      id: `${payment.id}.payout`,
      debit_account_id: escrow,
      credit_account_id: provider,
      amount_minor: payment.amount_minor - order.fee_minor,
      asset: payment.asset,
      code: "order_payout",
      metadata: { order_id: order.id },
    },
  ];
  if (order.fee_minor > 0n) {
    const fees = await ledger.accountId(tx, {
      owner_id: HUB_OWNER_ID,
      asset: payment.asset,
      kind: "fees",
    });
    batch.push({
      op: "transfer",
      id: `${payment.id}.fee`,
      debit_account_id: escrow,
      credit_account_id: fees,
      amount_minor: order.fee_minor,
      asset: payment.asset,
      code: "hub_fee",
      metadata: { order_id: order.id },
    });
  }
  // A zero payout (the whole price is fee) is no transfer at all.
  ok(
    await ledger.createTransfers(
      tx,
      batch.filter((t) => t.op !== "transfer" || t.amount_minor > 0n),
      { linked: true },
    ),
  );
}

/** Voids the hold: the money returns to where it came from. */
export async function refundFunds(tx: Tx, ledger: Ledger, payment: Payment): Promise<void> {
  ok([
    await ledger.transfer(tx, {
      op: "void",
      id: `${payment.id}.void`,
      pending_id: holdIdOf(payment),
    }),
  ]);
}
