import type { SettleResponse } from "@x402/core/types";
import type { Database, Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import type { Ledger } from "../ledger/index.ts";
import type { Order, Orders } from "../orders/index.ts";
import type { HandlerOutcome, Outbox, OutboxHandler } from "../outbox/index.ts";
import type { StoredReceipt } from "../receipts/index.ts";
import {
  type AuthorizationReader,
  authorizationOf,
  type ChainClients,
  caip2Of,
  claimTx,
  dropPendingPaymentId,
  endPendingSettlement,
  finishPaymentId,
  getPendingSettlement,
  type Hex,
  insertPendingSettlement,
  type VerifiedPayment,
  x402Limits,
  x402Problems,
} from "../x402/index.ts";
import type { Fulfilment } from "./fulfil.ts";
import { reconcilePipelinePayment } from "./pipeline-x402-reconcile.ts";
import { holdFunds } from "./settle.ts";
import type { WebhookFlows } from "./webhooks.ts";
import { bookX402Payment } from "./x402.ts";

/** The outbox topic of a pending x402 settlement's reconciliation (payload `{order_id}`). */
export const TOPIC_X402_RECONCILE = "x402.reconcile";

/** First look at the chain this long after a settlement went pending; then as often. */
const RECONCILE_INTERVAL_MS = 30_000;
/** After `validBefore`, wait this much more for the chain's clock to pass it too. */
const EXPIRY_GRACE_MS = 15_000;

/** Orders whose work has not ended: a crash there is the recovery sweep's to end first. */
const WORK_UNFINISHED: ReadonlySet<Order["status"]> = new Set([
  "created",
  "payment_pending",
  "ready",
  "executing",
]);
/** Orders delivered (or disputed since) whose payment waits for the settlement. */
const AWAITING_SETTLEMENT: ReadonlySet<Order["status"]> = new Set(["delivered", "disputed"]);

interface BookDeps {
  ledger: Ledger;
  orders: Orders;
  fulfilment: Fulfilment;
  asset: string;
  clock: Clock;
  webhooks?: Pick<WebhookFlows, "emit">;
}

/**
 * Books a settled x402 payment of a delivered order, in the caller's transaction: the settlement's
 * transaction is claimed for the order for ever (it is also an ERC-20 Transfer to the hub and
 * must never be proven again as a deposit), then the deposit (keyed by the transaction), the
 * hold, the provider's payout minus the fee, with the order confirmed.
 */
export async function bookX402Settlement(
  tx: Tx,
  deps: BookDeps,
  spec: { order_id: string; buyer_id: string; payer: string; settlement: SettleResponse },
): Promise<{ order: Order; receipts: StoredReceipt[] }> {
  const current = await deps.orders.get(tx, spec.order_id);
  const s = spec.settlement;
  const claim = await claimTx(tx, {
    chain: caip2Of(s.network),
    tx_hash: s.transaction,
    purpose: "x402",
    subject: current.id,
    now_ms: deps.clock.now_ms(),
  });
  if (claim.outcome === "taken") {
    throw new Problem(
      x402Problems.PAYMENT_TX_ALREADY_USED,
      `${s.transaction} was already claimed by ${claim.purpose} ${claim.subject}`,
    );
  }
  await bookX402Payment(tx, deps.ledger, {
    owner_id: spec.buyer_id,
    asset: deps.asset,
    amount_minor: current.amount_minor,
    settlement: s,
  });
  const payment = await deps.orders.paymentOf(tx, current.id);
  const hold_id = await holdFunds(tx, deps.ledger, {
    payment,
    from_owner: spec.buyer_id,
    from_kind: "available",
  });
  await deps.orders.attachHold(tx, payment, hold_id, { ...payment.proof, tx_hash: s.transaction });
  await deps.webhooks?.emit(tx, {
    to: [current.buyer_id, current.provider_id],
    type: "x402.settled",
    data: {
      orderId: current.id,
      network: s.network,
      txHash: s.transaction,
      payer: spec.payer,
      amountMinor: current.amount_minor.toString(),
      asset: current.asset,
    },
  });
  return deps.fulfilment.confirm(tx, current, { id: spec.buyer_id, reason: "x402 settled" });
}

/** The last head read per chain (CAIP-2), for `headOf` when a read is slow or fails. */
const lastHeads = new Map<string, bigint>();

/**
 * The chain's head block number, or 0 when unknown (the later search then starts at 0). With
 * `recent` (a paid call writing its reconciliation ahead), a head the client read in the last
 * few seconds will do, and once the process has seen a head on the chain, a read slower than
 * `head_read_wait_ms` is not waited for: the last head seen stands in. Any older head is still a lower bound: it only
 * starts the later search a little earlier.
 */
export async function headOf(
  chains: ChainClients | undefined,
  network: string,
  options: { recent?: boolean } = {},
): Promise<bigint> {
  if (!chains?.has(network)) return 0n;
  try {
    const client = chains.clientOf(network);
    if (!options.recent) return await client.getBlockNumber({ cacheTime: 0 });
    const read = client.getBlockNumber().then((head) => {
      lastHeads.set(network, head);
      return head;
    });
    read.catch(() => undefined);
    // No head seen on this chain yet (the process's first paid call): wait for it, once, rather
    // than write 0 (a search from block 0 that a provider may refuse).
    if (!lastHeads.has(network)) return await read;
    let timer: NodeJS.Timeout | undefined;
    const stand_in = new Promise<bigint>((resolve) => {
      timer = setTimeout(() => resolve(lastHeads.get(network) ?? 0n), x402Limits.head_read_wait_ms);
    });
    try {
      return await Promise.race([read, stand_in]);
    } finally {
      clearTimeout(timer);
    }
  } catch {
    return lastHeads.get(network) ?? 0n;
  }
}

/**
 * Remembers a settlement whose outcome is unknown (or may become so: written ahead) and
 * schedules its reconciliation, in the caller's transaction. False, and nothing written, when
 * the payment carries no authorization the chain could be asked about. A pipeline's payment
 * passes `subject: "pipeline"`, the job's id as `order_id` and its ledger advance.
 */
export async function schedulePendingSettlement(
  tx: Tx,
  deps: { clock: Clock; outbox: Pick<Outbox, "enqueue"> },
  spec: {
    order_id: string;
    buyer_id: string;
    payment: VerifiedPayment;
    /** The broadcast's answer; null when written ahead, before anything is broadcast. */
    settlement: SettleResponse | null;
    from_block: bigint;
    subject?: "order" | "pipeline";
    advance_id?: string;
  },
): Promise<boolean> {
  const auth = authorizationOf(spec.payment.payload);
  // The exact scheme on EVM carries an EIP-3009 authorization (or a Permit2 one, which this
  // hub cannot ask the chain about): without one there is nothing to reconcile from, and an
  // unknown outcome stays for an operator.
  if (!auth) return false;
  const now_ms = deps.clock.now_ms();
  const sent = spec.settlement?.transaction ?? "";
  const tx_hash = /^0x[0-9a-fA-F]{64}$/.test(sent) ? (sent as Hex) : null;
  await insertPendingSettlement(tx, {
    subject: spec.subject ?? "order",
    advance_id: spec.advance_id ?? null,
    order_id: spec.order_id,
    buyer_id: spec.buyer_id,
    network: caip2Of(spec.payment.network),
    token: spec.payment.asset,
    pay_to: spec.payment.requirements.payTo as Hex,
    authorizer: auth.from,
    nonce: auth.nonce,
    valid_before: auth.valid_before,
    amount_atomic: spec.payment.amount_atomic,
    tx_hash,
    from_block: spec.from_block,
    payment_id: spec.payment.slot?.id ?? null,
    payload_sha256: spec.payment.slot?.payload_sha256 ?? null,
    created_at_ms: now_ms,
  });
  await deps.outbox.enqueue(tx, {
    topic: TOPIC_X402_RECONCILE,
    payload: { order_id: spec.order_id },
    due_at_ms: now_ms + RECONCILE_INTERVAL_MS,
    dedupe_key: `x402_reconcile:${spec.order_id}`,
  });
  return true;
}

/**
 * Ends the settlement record an invoke wrote ahead, in the caller's transaction, as the invoke
 * itself learns how it ended, and drops its reconciliation. False when a reconciler ended it
 * first (it booked or refunded the order already).
 */
export async function endWrittenAhead(
  tx: Tx,
  deps: { clock: Clock; outbox: Pick<Outbox, "cancel"> },
  spec: { order_id: string; state: "settled" | "released"; tx_hash: Hex | null },
): Promise<boolean> {
  const mine = await endPendingSettlement(tx, { ...spec, now_ms: deps.clock.now_ms() });
  if (mine) await deps.outbox.cancel(tx, `x402_reconcile:${spec.order_id}`);
  return mine;
}

export interface ReconcileDeps extends BookDeps {
  db: Database;
  reader: AuthorizationReader;
}

/** How a reconciliation ended: booked, refunded, nothing to do, or ask again at `retry_at_ms`. */
export type Reconciled =
  | { outcome: "settled"; tx_hash: Hex }
  | { outcome: "released" }
  | { outcome: "done" }
  | { outcome: "waiting"; reason: string; retry_at_ms: number };

/**
 * Finishes a pending x402 settlement from what the chain says, never broadcasting: the
 * authorization used (by our broadcast, mined late) books the payment once, as a timely
 * settlement would have; unused past `validBefore` it can never move money, so the order is
 * refunded (the buyer never got the result: it was answered X402_SETTLEMENT_PENDING). Both
 * ends are guarded on the pending row, so concurrent or repeated runs act once. A pipeline's
 * payment ends in src/flows/pipeline-x402-reconcile.ts (claimed, or its advance undone).
 */
export async function reconcileX402Settlement(
  deps: ReconcileDeps,
  order_id: string,
): Promise<Reconciled> {
  const p = await getPendingSettlement(deps.db.kysely, order_id);
  if (p?.state !== "pending") return { outcome: "done" };
  const seen = await deps.reader.outcomeOf(p);
  const now_ms = deps.clock.now_ms();
  if (p.subject === "pipeline" && (seen.kind === "used" || seen.kind === "expired")) {
    const r = await reconcilePipelinePayment(deps, p, seen);
    if (r.outcome !== "job_running") return r;
    const reason = "the authorization expired unused; the job is still running";
    return { outcome: "waiting", reason, retry_at_ms: now_ms + RECONCILE_INTERVAL_MS };
  }
  if (seen.kind === "used") {
    const settlement: SettleResponse = {
      success: true,
      transaction: seen.tx_hash,
      network: p.network as SettleResponse["network"],
      payer: p.authorizer,
    };
    const booked = await deps.db.transaction(async (tx) => {
      const mine = await endPendingSettlement(tx, {
        order_id,
        state: "settled",
        tx_hash: seen.tx_hash,
        now_ms,
      });
      if (!mine) return false;
      const spec = { order_id, buyer_id: p.buyer_id, payer: p.authorizer, settlement };
      await bookX402Settlement(tx, deps, spec);
      if (p.payment_id && p.payload_sha256) {
        const slot = { id: p.payment_id, payload_sha256: p.payload_sha256 };
        await finishPaymentId(tx, {
          ...slot,
          state: "settled",
          response: settlement,
          result_json: null,
          now_ms,
        });
      }
      return true;
    });
    return booked ? { outcome: "settled", tx_hash: seen.tx_hash } : { outcome: "done" };
  }
  if (seen.kind === "expired") {
    const released = await deps.db.transaction(async (tx) => {
      // Written ahead and its process died before the work ended: the recovery sweep fails
      // and refunds the order first.
      const order = await deps.orders.get(tx, order_id);
      if (WORK_UNFINISHED.has(order.status)) return "later";
      const mine = await endPendingSettlement(tx, {
        order_id,
        state: "released",
        tx_hash: null,
        now_ms,
      });
      if (!mine) return false;
      const why = "x402 authorization expired unused: the settlement never happened";
      // Read again now that the record is ours: the order may have moved since (a dispute).
      const current = await deps.orders.get(tx, order_id);
      // An order that ended otherwise (its work failed and was refunded) keeps its end.
      if (AWAITING_SETTLEMENT.has(current.status)) {
        await deps.fulfilment.resolve(tx, current, { id: "system", reason: why }, "refund");
      }
      if (p.payment_id && p.payload_sha256) {
        await dropPendingPaymentId(tx, { id: p.payment_id, payload_sha256: p.payload_sha256 });
      }
      return true;
    });
    if (released === "later") {
      const reason = "the order's work has not ended yet";
      return { outcome: "waiting", reason, retry_at_ms: now_ms + RECONCILE_INTERVAL_MS };
    }
    return released ? { outcome: "released" } : { outcome: "done" };
  }
  const expiry_ms = Number(p.valid_before) * 1000 + EXPIRY_GRACE_MS;
  const reason =
    seen.kind === "open" ? "the authorization is neither used nor expired" : seen.reason;
  // Until the expiry, look again at it (or every interval); past it (used, but its transaction
  // not found yet, or not deep enough), every interval: never in a tight loop.
  const retry_at_ms =
    expiry_ms > now_ms
      ? Math.max(now_ms + 1_000, Math.min(now_ms + RECONCILE_INTERVAL_MS, expiry_ms))
      : now_ms + RECONCILE_INTERVAL_MS;
  return { outcome: "waiting", reason, retry_at_ms };
}

/**
 * The outbox handler of TOPIC_X402_RECONCILE. Waiting for the chain (or for the order's work to
 * end) and an RPC endpoint that fails for a while use up none of the message's attempts: money
 * waits on this, for as long as it takes. Other failures retry with the outbox's backoff.
 */
export function x402ReconcileHandler(deps: ReconcileDeps): OutboxHandler {
  return async (message): Promise<HandlerOutcome> => {
    let r: Reconciled;
    try {
      r = await reconcileX402Settlement(deps, String(message.payload.order_id));
    } catch (error) {
      if (!isProblem(error) || error.code !== "PAYMENT_RPC_ERROR") throw error;
      const retry_at_ms = deps.clock.now_ms() + RECONCILE_INTERVAL_MS;
      return { outcome: "wait", reason: error.message, retry_at_ms };
    }
    if (r.outcome !== "waiting") return { outcome: "done" };
    return { outcome: "wait", reason: r.reason, retry_at_ms: r.retry_at_ms };
  };
}
