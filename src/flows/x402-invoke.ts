import type { SettleResponse } from "@x402/core/types";
import type { Service } from "../catalog/index.ts";
import type { Database, Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import type { Ledger } from "../ledger/index.ts";
import type { Actor, Order, Orders } from "../orders/index.ts";
import type { Outbox } from "../outbox/index.ts";
import type { StoredReceipt } from "../receipts/index.ts";
import {
  type ChainClients,
  caip2Of,
  type Hex,
  notePendingSettlementTx,
  type VerifiedPayment,
  x402Problems,
} from "../x402/index.ts";
import { type ExecutionReport, type Fulfilment, runsInProcessAt } from "./fulfil.ts";
import type { Delegated, Purchases } from "./purchase.ts";
import type { WebhookFlows } from "./webhooks.ts";
import {
  bookX402Settlement,
  endWrittenAhead,
  headOf,
  schedulePendingSettlement,
} from "./x402-reconcile.ts";

export interface X402InvokeOutcome {
  order: Order;
  success: boolean;
  result: unknown;
  error: string | null;
  latency_ms: number;
  started_at_ms: number;
  /** PAYMENT-RESPONSE / X-PAYMENT-RESPONSE to send, when a settlement was attempted. */
  payment_headers: Record<string, string>;
  settlement: SettleResponse | null;
  /** The last PEAC receipt of the order's chain (settlement, or refund). */
  peac_receipt: StoredReceipt | null;
}

/**
 * One call paid with x402, in the order x402 prescribes: the payment is verified (by the gate,
 * before this), the work runs, and only a successful result is settled on chain; the answer
 * carries the result only once the settlement succeeded. Failed work is never settled (the
 * authorization simply expires). Money reaches the hub's ledger in the transaction that records
 * the settlement: the deposit (keyed by the chain transaction, so it books once), the hold and
 * the provider's payout minus the fee, with the order confirmed. A settlement that failed
 * refunds the order (nothing moved); one whose outcome is unknown stays `delivered` with the
 * payment held and unbooked, answered X402_SETTLEMENT_PENDING, never settled twice.
 *
 * The payment's transaction also writes the settlement's reconciliation ahead (the
 * authorization, due in 30 s): if this process dies anywhere after it, before the outcome is
 * booked, the reconciler asks the chain whether the authorization was used and books the order,
 * or refunds it once the authorization lapsed unused. Each ending here ends that record first,
 * guarded, so a reconciler and a slow call never both book or refund.
 *
 * Work that runs in process (a built-in skill) starts the settlement's chain reads (its gas
 * estimate) as it begins, so they overlap the work, and on SQLite the order, its payment and
 * the work's outcome commit together, as a prepaid invoke does.
 */
export async function invokeWithX402(
  deps: {
    db: Database;
    ledger: Ledger;
    orders: Orders;
    purchases: Purchases;
    fulfilment: Fulfilment;
    /** The ledger asset the token is booked as. */
    asset: string;
    clock: Clock;
    outbox: Pick<Outbox, "cancel" | "enqueue">;
    /** The chain's RPC, when known: bounds the later search for a pending settlement. */
    chains?: ChainClients;
    /** Tells buyer and provider of a settlement (`x402.settled`), when wired. */
    webhooks?: Pick<WebhookFlows, "emit">;
  },
  spec: {
    service: Service;
    operation: string;
    input: unknown;
    buyer_id: string;
    payment: VerifiedPayment;
    delegated?: Delegated;
  },
): Promise<X402InvokeOutcome> {
  const actor: Actor = { id: spec.buyer_id, reason: "x402 invoke" };
  const proof = {
    scheme: "exact",
    x402_version: spec.payment.version,
    network: spec.payment.network,
    payer: spec.payment.payer,
    asset: spec.payment.asset,
    amount_atomic: spec.payment.amount_atomic.toString(),
  };
  const inProcess = runsInProcessAt(spec.service.endpoints);
  // Where a later search for the settlement may start (a head read in the last seconds will do).
  const from_block = await headOf(deps.chains, caip2Of(spec.payment.network), { recent: true });
  // Whether the reconciliation was written ahead (a payment without an EIP-3009 authorization
  // cannot be reconciled from chain: its endings then book or refund unguarded, as before).
  let ahead = false;
  const endAhead = async (
    tx: Tx,
    order_id: string,
    state: "settled" | "released",
    tx_hash: Hex | null,
  ) => (ahead ? endWrittenAhead(tx, deps, { order_id, state, tx_hash }) : true);
  const pay = async (tx: Tx) => {
    const made = await deps.purchases.createOrder(tx, {
      buyer_id: spec.buyer_id,
      rail: "x402",
      service_id: spec.service.id,
      operation: spec.operation,
      input: spec.input,
      ...(spec.delegated ? { delegated: spec.delegated } : {}),
    });
    if (made.order.asset !== deps.asset || made.order.amount_minor !== spec.payment.amount_atomic) {
      throw new Problem(
        x402Problems.X402_PAYMENT_INVALID,
        "the payment does not match the order's price and asset",
      );
    }
    const { order: intent } = await deps.purchases.paymentIntent(tx, made.order, actor);
    const paid = (await deps.purchases.pay(tx, intent, actor, { x402_verified: proof })).order;
    // Written ahead with the payment: should this process die before the settlement's outcome
    // is booked, a reconciler asks the chain whether the authorization was used and books the
    // order or refunds it (src/flows/x402-reconcile.ts). The invoke ends it itself otherwise.
    ahead = await schedulePendingSettlement(tx, deps, {
      order_id: paid.id,
      buyer_id: spec.buyer_id,
      payment: spec.payment,
      settlement: null,
      from_block,
    });
    return paid;
  };
  let started: { order: Order; report: ExecutionReport | null };
  try {
    if (inProcess) {
      spec.payment.prepare();
      // Let its request reach the socket (a kept-alive socket is handed over on the next
      // tick): the transaction below resolves promise after promise without yielding.
      await new Promise((resolve) => setImmediate(resolve));
    }
    started =
      inProcess && deps.db.dialect === "sqlite"
        ? await deps.db.transaction(async (tx) => {
            const begun = await deps.purchases.beginExecution(tx, await pay(tx), actor);
            const report = await deps.fulfilment.runStartedInProcess(tx, begun, {
              auto_confirm: false,
            });
            if (!report.result.ok) {
              await endAhead(tx, begun.order.id, "released", null);
            }
            return { order: begun.order, report };
          })
        : { order: await deps.db.transaction(pay), report: null };
  } catch (error) {
    await spec.payment.cancel();
    throw error;
  }
  const order = started.order;
  const report =
    started.report ?? (await deps.fulfilment.execute(order.id, actor, { auto_confirm: false }));
  const base = {
    latency_ms: report.result.latency_ms,
    started_at_ms: report.run.started_at_ms,
  };
  if (!report.result.ok) {
    // The work failed: the order is failed and its payment refunded (nothing was booked), and
    // the authorization is never settled.
    if (!started.report) {
      await deps.db.transaction((tx) => endAhead(tx, order.id, "released", null));
    }
    await spec.payment.cancel();
    return {
      ...base,
      order: report.order,
      success: false,
      result: null,
      error: report.result.error,
      payment_headers: {},
      settlement: null,
      peac_receipt: report.receipts.at(-1) ?? null,
    };
  }

  const settled = await spec.payment.settle({ result: report.result.value });
  if (settled.status === "settled") {
    const done = await deps.db.transaction(async (tx) => {
      const tx_hash = settled.response.transaction as Hex;
      if (!(await endAhead(tx, order.id, "settled", tx_hash))) {
        // A reconciler found it on chain first and booked it.
        return { order: await deps.orders.get(tx, order.id), receipts: [] };
      }
      return bookX402Settlement(tx, deps, {
        order_id: order.id,
        buyer_id: spec.buyer_id,
        payer: spec.payment.payer,
        settlement: settled.response,
      });
    });
    return {
      ...base,
      order: done.order,
      success: true,
      result: report.result.value,
      error: null,
      payment_headers: settled.headers,
      settlement: settled.response,
      peac_receipt: done.receipts.at(-1) ?? report.receipts.at(-1) ?? null,
    };
  }
  if (settled.status === "failed") {
    const undone = await deps.db.transaction(async (tx) => {
      const current = await deps.orders.get(tx, order.id);
      // A reconciler that saw the authorization lapse refunded it already.
      if (!(await endAhead(tx, order.id, "released", null))) return { order: current };
      const why = `x402 settlement failed: ${settled.response.errorReason ?? ""}`;
      return deps.fulfilment.resolve(tx, current, { id: "system", reason: why }, "refund");
    });
    throw new Problem(
      x402Problems.X402_SETTLEMENT_FAILED,
      `the payment could not be settled (${settled.response.errorReason ?? "unknown"}); nothing was charged`,
      {
        headers: settled.headers,
        extensions: { order_id: undone.order.id },
      },
    );
  }
  // Until the chain says how it ended the order stays delivered with its payment unbooked: it
  // must not auto-confirm into a release that moved no money. The reconciliation written ahead
  // reads the chain later and books it or refunds it (src/flows/x402-reconcile.ts).
  await deps.db.transaction(async (tx) => {
    await deps.outbox.cancel(tx, `auto_confirm:${order.id}`);
    const sent = settled.response.transaction;
    if (/^0x[0-9a-fA-F]{64}$/.test(sent)) {
      const now_ms = deps.clock.now_ms();
      await notePendingSettlementTx(tx, { order_id: order.id, tx_hash: sent as Hex, now_ms });
    }
  });
  throw new Problem(
    x402Problems.X402_SETTLEMENT_PENDING,
    "the settlement was broadcast but not confirmed in time; it will not be sent again",
    { headers: settled.headers, extensions: { order_id: order.id } },
  );
}
