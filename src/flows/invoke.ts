import type { KeyObject } from "node:crypto";
import { signReceiptV1 } from "../aimp/index.ts";
import type { Service } from "../catalog/index.ts";
import { channelProblems } from "../channels/index.ts";
import type { Database } from "../db/db.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { orderProblems } from "../orders/index.ts";
import type { StoredReceipt } from "../receipts/index.ts";
import type { Fulfilment } from "./fulfil.ts";
import type { Delegated, Purchases } from "./purchase.ts";

/** How an invoke is paid: a funded account (prepaid) or an open channel. */
export type InvokePayment = (
  | { rail: "prepaid"; buyer_id: string }
  | { rail: "channel"; buyer_id: string; channel_id: string }
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
 * refund on a typed provider failure) with no confirmation step. The hold and the run start in
 * one transaction; money moves in the one that records the outcome.
 */
export async function invoke(
  deps: {
    db: Database;
    purchases: Purchases;
    fulfilment: Fulfilment;
    usdOf: (minor: bigint, asset: string) => number;
    signer: () => Promise<KeyObject>;
  },
  spec: {
    service: Service;
    product_id: string;
    capability_id: string;
    operation: string;
    input: unknown;
    payment: InvokePayment;
  },
): Promise<InvokeOutcome> {
  const actor = { id: spec.payment.actor_id ?? spec.payment.buyer_id, reason: "invoke" };
  const order = await deps.db.transaction(async (tx) => {
    const made = await deps.purchases.createOrder(tx, {
      buyer_id: spec.payment.buyer_id,
      rail: spec.payment.rail,
      service_id: spec.service.id,
      operation: spec.operation,
      input: spec.input,
      ...(spec.payment.delegated ? { delegated: spec.payment.delegated } : {}),
    });
    const { order: intent } = await deps.purchases.paymentIntent(tx, made.order, actor);
    if (intent.status === "ready") return intent;
    try {
      const paid = await deps.purchases.pay(
        tx,
        intent,
        actor,
        spec.payment.rail === "channel" ? { channel_id: spec.payment.channel_id } : {},
      );
      return paid.order;
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
  });
  const report = await deps.fulfilment.execute(order.id, actor, { auto_confirm: true });
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
