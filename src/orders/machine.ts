/**
 * The order and payment state machines as data: (state, event) → next state. Every transition
 * is applied with a guarded SQL update (`where status = <from>`) plus an audit event row in the
 * same transaction; a pair missing from a table is a forbidden transition.
 */

export type OrderStatus =
  | "created"
  | "payment_pending"
  | "ready"
  | "executing"
  | "delivered"
  | "confirmed"
  | "handoff"
  | "disputed"
  | "failed"
  | "cancelled";

export type OrderEvent =
  | "request_payment"
  | "skip_payment"
  | "payment_held"
  | "handoff"
  | "start"
  | "deliver"
  | "fail"
  | "confirm"
  | "dispute"
  | "resolve_release"
  | "resolve_refund"
  | "cancel";

export const orderStatuses: readonly OrderStatus[] = [
  "created",
  "payment_pending",
  "ready",
  "executing",
  "delivered",
  "confirmed",
  "handoff",
  "disputed",
  "failed",
  "cancelled",
];
export const orderEvents: readonly OrderEvent[] = [
  "request_payment",
  "skip_payment",
  "payment_held",
  "handoff",
  "start",
  "deliver",
  "fail",
  "confirm",
  "dispute",
  "resolve_release",
  "resolve_refund",
  "cancel",
];

export const orderTransitions: Readonly<
  Partial<Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>>>
> = {
  created: {
    request_payment: "payment_pending",
    skip_payment: "ready",
    handoff: "handoff",
    cancel: "cancelled",
  },
  payment_pending: { payment_held: "ready", handoff: "handoff", cancel: "cancelled" },
  ready: { start: "executing", cancel: "cancelled" },
  executing: { deliver: "delivered", fail: "failed" },
  delivered: { confirm: "confirmed", dispute: "disputed", resolve_refund: "failed" },
  disputed: { resolve_release: "confirmed", resolve_refund: "failed" },
  handoff: { confirm: "confirmed", cancel: "cancelled" },
};

export type PaymentStatus =
  | "intent_created"
  | "held"
  | "release_pending"
  | "released"
  | "not_required"
  | "frozen"
  | "refunded";

export type PaymentEvent =
  | "hold"
  | "request_release"
  | "release"
  | "freeze"
  | "unfreeze"
  | "refund";

export const paymentStatuses: readonly PaymentStatus[] = [
  "intent_created",
  "held",
  "release_pending",
  "released",
  "not_required",
  "frozen",
  "refunded",
];
export const paymentEvents: readonly PaymentEvent[] = [
  "hold",
  "request_release",
  "release",
  "freeze",
  "unfreeze",
  "refund",
];

export const paymentTransitions: Readonly<
  Partial<Record<PaymentStatus, Partial<Record<PaymentEvent, PaymentStatus>>>>
> = {
  intent_created: { hold: "held", refund: "refunded" },
  held: {
    request_release: "release_pending",
    release: "released",
    freeze: "frozen",
    refund: "refunded",
  },
  release_pending: { release: "released", freeze: "frozen", refund: "refunded" },
  frozen: { unfreeze: "held", release: "released", refund: "refunded" },
};

/** The next order status, or null when the event is not allowed in `from`. */
export function nextOrderStatus(from: OrderStatus, event: OrderEvent): OrderStatus | null {
  return orderTransitions[from]?.[event] ?? null;
}

/** The next payment status, or null when the event is not allowed in `from`. */
export function nextPaymentStatus(from: PaymentStatus, event: PaymentEvent): PaymentStatus | null {
  return paymentTransitions[from]?.[event] ?? null;
}

/** Terminal order statuses: nothing moves an order out of them. */
export const terminalOrderStatuses: readonly OrderStatus[] = ["confirmed", "failed", "cancelled"];
