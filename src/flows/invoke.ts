import type { KeyObject } from "node:crypto";
import { signReceiptV1 } from "../aimp/index.ts";
import type { Service, Skill } from "../catalog/index.ts";
import { channelProblems } from "../channels/index.ts";
import type { Database, Tx } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { type Order, type Orders, orderProblems } from "../orders/index.ts";
import type { StoredReceipt } from "../receipts/index.ts";
import { type Fulfilment, runsInProcessAt } from "./fulfil.ts";
import type { Delegated, Purchases } from "./purchase.ts";
import type { OrderProofCheck, TxProofs } from "./tx-proof.ts";

/**
 * How an invoke is paid: a funded account (prepaid), an open channel, or a transfer to the hub
 * the buyer made itself and proved (`X-Payment: {"tx_hash","chain"}`), checked over RPC before
 * the call; its hash is claimed for the call's order in the transaction that holds the price.
 */
export type InvokePayment = (
  | { rail: "prepaid"; buyer_id: string }
  | { rail: "channel"; buyer_id: string; channel_id: string }
  | { rail: "wdk-usdt-transfer"; buyer_id: string; check: OrderProofCheck }
) & {
  /** A paired agent buying for its machine: its policy and spend limits bind. */
  delegated?: Delegated;
  /** Who acted, for the audit trail (default: the buyer). */
  actor_id?: string;
};

export interface InvokeOutcome {
  success: boolean;
  order_id: string;
  result: unknown;
  error: string | null;
  amount_minor: bigint;
  latency_ms: number;
  /** The AIMP v1 receipt (seven-field canonical, Ed25519), nonce = the PEAC result receipt id. */
  aimp_receipt: Record<string, unknown>;
  /** The last PEAC receipt of the order's chain (settlement, or refund on failure). */
  peac_receipt: StoredReceipt | null;
}

/**
 * One paid call, AI Market Protocol style: order, payment hold, execution and settlement (or
 * refund on a typed provider failure) with no confirmation step. Two transactions: the order,
 * its payment hold and its Run start in the first (so it is never seen `ready`; a crash after it
 * leaves the order `executing` for the recovery sweep to fail and refund); the adapter runs
 * outside any transaction; the outcome and the money's settlement or refund commit in the second.
 * On SQLite a built-in skill (in process, no network, bounded input) runs inside the first
 * instead, and everything commits at once.
 */
export async function invoke(
  deps: {
    db: Database;
    purchases: Purchases;
    fulfilment: Fulfilment;
    orders: Orders;
    usdOf: (minor: bigint, asset: string) => number;
    signer: () => Promise<KeyObject>;
    /** Needed for the wdk-usdt-transfer payment. */
    txProofs?: Pick<TxProofs, "payOrder">;
  },
  spec: {
    service: Service;
    product_id: string;
    capability_id: string;
    operation: string;
    input: unknown;
    payment: InvokePayment;
    /** The service's skill, when the caller has just read it with the service. */
    skill?: Skill;
    /**
     * The caller's own reference for this call (the route derives it from Idempotency-Key): a
     * second call with it never buys again, it answers from the first order (see replayOf).
     */
    client_ref?: string;
  },
): Promise<InvokeOutcome> {
  const actor = { id: spec.payment.actor_id ?? spec.payment.buyer_id, reason: "invoke" };
  assert(
    spec.payment.rail !== "wdk-usdt-transfer" || deps.txProofs !== undefined,
    "a transfer-proof invoke needs txProofs",
  );
  const begin = async (tx: Tx) => {
    const made = await deps.purchases.createOrder(tx, {
      buyer_id: spec.payment.buyer_id,
      rail: spec.payment.rail,
      service_id: spec.service.id,
      operation: spec.operation,
      input: spec.input,
      ...(spec.client_ref ? { client_ref: spec.client_ref } : {}),
      ...(spec.payment.delegated ? { delegated: spec.payment.delegated } : {}),
      ...(spec.skill ? { entry: { service: spec.service, skill: spec.skill } } : {}),
    });
    if (!made.created) return { replay: made.order };
    const chain = made.chain;
    const intent = await deps.purchases.paymentIntent(tx, made.order, actor);
    if (intent.order.status === "ready") {
      const started = await deps.purchases.beginExecution(tx, intent.order, actor);
      return { ...started, known: chain ? { chain } : {} };
    }
    const known = { payment: intent.payment, ...(chain ? { chain } : {}), starts_now: true };
    try {
      const p = spec.payment;
      const paid =
        p.rail === "wdk-usdt-transfer"
          ? await (deps.txProofs as NonNullable<typeof deps.txProofs>).payOrder(
              tx,
              intent.order,
              actor,
              p.check,
              known,
            )
          : await deps.purchases.pay(
              tx,
              intent.order,
              actor,
              p.rail === "channel" ? { channel_id: p.channel_id } : {},
              known,
            );
      const started = await deps.purchases.beginExecution(tx, paid.order, actor);
      return { ...started, known: { payment: paid.payment, ...(chain ? { chain } : {}) } };
    } catch (error) {
      if (isProblem(error) && error.code === "LEDGER_INSUFFICIENT_FUNDS") {
        const spec402 =
          spec.payment.rail === "channel"
            ? channelProblems.CHANNEL_INSUFFICIENT
            : orderProblems.PAYMENT_REQUIRED;
        throw new Problem(spec402, "the balance does not cover the price", { cause: error });
      }
      throw error;
    }
  };
  const auto = { auto_confirm: true };
  // On SQLite (one writer, no row locks) a built-in skill runs inside the transaction that
  // starts it: one commit for the whole call. Not on PostgreSQL: there the hold and the
  // settlement would lock the hub's escrow and fee rows in two batches of one transaction for as
  // long as the skill runs, and two such orders of locks make deadlocks.
  const oneTransaction = deps.db.dialect === "sqlite" && runsInProcessAt(spec.service.endpoints);
  const done = oneTransaction
    ? await deps.db.transaction(async (tx) => {
        const begun = await begin(tx);
        if (begun.replay) return { replay: begun.replay };
        const report = await deps.fulfilment.runStartedInProcess(tx, begun, auto, begun.known);
        return { order: begun.order, report };
      })
    : await (async () => {
        const begun = await deps.db.transaction(begin);
        if (begun.replay) return { replay: begun.replay };
        const report = await deps.fulfilment.runStarted(begun, auto, begun.known);
        return { order: begun.order, report };
      })();
  if ("replay" in done) return replayOf(deps, spec, done.replay);
  const { order, report } = done;
  const resultReceipt = report.receipts.find((r) => r.kind === "result") ?? null;
  const aimp = await aimpReceiptOf(deps, {
    nonce: resultReceipt?.id ?? `rcpt_${order.id.slice(4)}`,
    product_id: spec.product_id,
    capability_id: spec.capability_id,
    order,
    success: report.result.ok,
    started_at_ms: report.run.started_at_ms,
    latency_ms: report.result.latency_ms,
  });
  return {
    success: report.result.ok,
    order_id: order.id,
    result: report.result.ok ? report.result.value : null,
    error: report.result.ok ? null : report.result.error,
    amount_minor: order.amount_minor,
    latency_ms: report.result.latency_ms,
    aimp_receipt: aimp,
    peac_receipt: report.receipts.at(-1) ?? null,
  };
}

/** Statuses in which a call's outcome is final and its money settled (or refunded). */
const SUCCEEDED = new Set(["delivered", "confirmed"]);
const FAILED = new Set(["failed", "cancelled", "refunded"]);

/**
 * The answer to a call made again with the same client_ref (a retry whose first answer was lost,
 * e.g. the process died mid-call): the first order's outcome, never a second purchase. While the
 * first is still executing (or awaits the recovery sweep after a crash) it is a 409 CONFLICT,
 * which a client retries.
 */
async function replayOf(
  deps: {
    db: Database;
    orders: Orders;
    signer: () => Promise<KeyObject>;
    usdOf: (minor: bigint, asset: string) => number;
  },
  spec: { product_id: string; capability_id: string },
  order: Order,
): Promise<InvokeOutcome> {
  const current = await deps.orders.get(deps.db.kysely, order.id);
  const ok = SUCCEEDED.has(current.status);
  if (!ok && !FAILED.has(current.status)) {
    throw new Problem(
      kernelProblems.CONFLICT,
      `this call (order ${current.id}) is still ${current.status}; try again shortly`,
    );
  }
  const outcome = ok ? await deps.orders.outcomeOf(deps.db.kysely, current.id) : null;
  const [run] = await deps.orders.runs(deps.db.kysely, { order_id: current.id }, 1);
  const aimp = await aimpReceiptOf(deps, {
    nonce: `rcpt_${current.id.slice(4)}`,
    product_id: spec.product_id,
    capability_id: spec.capability_id,
    order: current,
    success: ok,
    started_at_ms: run?.started_at_ms ?? current.created_at_ms,
    latency_ms: run?.latency_ms ?? 0,
  });
  return {
    success: ok,
    order_id: current.id,
    result: outcome?.result ?? null,
    error: ok ? null : (current.error ?? run?.error ?? "the call failed"),
    amount_minor: current.amount_minor,
    latency_ms: run?.latency_ms ?? 0,
    aimp_receipt: aimp,
    peac_receipt: null,
  };
}

/** The AIMP v1 receipt of a call (seven-field canonical, Ed25519); price 0 when it failed. */
export async function aimpReceiptOf(
  deps: { usdOf: (minor: bigint, asset: string) => number; signer: () => Promise<KeyObject> },
  spec: {
    nonce: string;
    product_id: string;
    capability_id: string;
    order: { amount_minor: bigint; asset: string };
    success: boolean;
    started_at_ms: number;
    latency_ms: number;
  },
): Promise<Record<string, unknown>> {
  const signed = signReceiptV1(
    {
      nonce: spec.nonce,
      product_id: spec.product_id,
      capability_id: spec.capability_id,
      price_usd: spec.success ? deps.usdOf(spec.order.amount_minor, spec.order.asset) : 0,
      timestamp: new Date(spec.started_at_ms).toISOString().replace(/\.\d{3}Z$/, "Z"),
      success: spec.success,
      latency_ms: spec.latency_ms,
    },
    await deps.signer(),
  );
  return signed as unknown as Record<string, unknown>;
}
