import { describe, expect, it } from "vitest";
import {
  nextOrderStatus,
  nextPaymentStatus,
  orderEvents,
  orderStatuses,
  paymentEvents,
  paymentStatuses,
  terminalOrderStatuses,
} from "./machine.ts";

/** Every allowed pair, written out once more by hand: the table and this list must agree. */
const allowedOrder: Record<string, string> = {
  "created/request_payment": "payment_pending",
  "created/skip_payment": "ready",
  "created/handoff": "handoff",
  "created/cancel": "cancelled",
  "payment_pending/payment_held": "ready",
  "payment_pending/handoff": "handoff",
  "payment_pending/cancel": "cancelled",
  "ready/start": "executing",
  "ready/cancel": "cancelled",
  "executing/deliver": "delivered",
  "executing/fail": "failed",
  "delivered/confirm": "confirmed",
  "delivered/dispute": "disputed",
  "delivered/resolve_refund": "failed",
  "disputed/resolve_release": "confirmed",
  "disputed/resolve_refund": "failed",
  "handoff/confirm": "confirmed",
  "handoff/cancel": "cancelled",
};

const allowedPayment: Record<string, string> = {
  "intent_created/hold": "held",
  "intent_created/refund": "refunded",
  "held/request_release": "release_pending",
  "held/release": "released",
  "held/freeze": "frozen",
  "held/refund": "refunded",
  "release_pending/release": "released",
  "release_pending/freeze": "frozen",
  "release_pending/refund": "refunded",
  "frozen/unfreeze": "held",
  "frozen/release": "released",
  "frozen/refund": "refunded",
};

describe("order state machine", () => {
  for (const from of orderStatuses) {
    for (const event of orderEvents) {
      const expected = allowedOrder[`${from}/${event}`] ?? null;
      it(`${expected ? "allows" : "forbids"} ${event} in ${from}${expected ? ` → ${expected}` : ""}`, () => {
        expect(nextOrderStatus(from, event)).toBe(expected);
      });
    }
  }
  it("lets nothing leave a terminal status", () => {
    for (const from of terminalOrderStatuses) {
      for (const event of orderEvents) expect(nextOrderStatus(from, event)).toBeNull();
    }
  });
});

describe("payment state machine", () => {
  for (const from of paymentStatuses) {
    for (const event of paymentEvents) {
      const expected = allowedPayment[`${from}/${event}`] ?? null;
      it(`${expected ? "allows" : "forbids"} ${event} in ${from}${expected ? ` → ${expected}` : ""}`, () => {
        expect(nextPaymentStatus(from, event)).toBe(expected);
      });
    }
  }
  it("never moves money out of released, refunded or not_required", () => {
    for (const from of ["released", "refunded", "not_required"] as const) {
      for (const event of paymentEvents) expect(nextPaymentStatus(from, event)).toBeNull();
    }
  });
});
