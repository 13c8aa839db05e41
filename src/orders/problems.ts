import { defineProblems } from "../kernel/problem.ts";

/** Problems of orders, their payments and runs. */
export const orderProblems = defineProblems({
  ORDER_NOT_FOUND: { status: 404, title: "The order does not exist" },
  ORDER_TRANSITION_FORBIDDEN: {
    status: 409,
    title: "The order is not in a state that allows this",
  },
  PAYMENT_NOT_FOUND: { status: 404, title: "The order has no payment yet" },
  PAYMENT_TRANSITION_FORBIDDEN: {
    status: 409,
    title: "The payment is not in a state that allows this",
  },
  PAYMENT_AMOUNT_MISMATCH: { status: 422, title: "The amount paid is not the amount owed" },
  PAYMENT_RAIL_UNSUPPORTED: { status: 422, title: "The service does not accept this rail" },
  PAYMENT_PROOF_INVALID: { status: 422, title: "The payment proof is not valid for this order" },
  PAYMENT_ESCROW_LOCK_NOT_FOUND: {
    status: 400,
    title: "The transaction holds no matching escrow lock for this order",
  },
  PAYMENT_REQUIRED: { status: 402, title: "Payment is required" },
  EXECUTION_FAILED: { status: 502, title: "The provider failed to deliver" },
  EXECUTION_TIMEOUT: { status: 504, title: "The provider did not answer in time" },
});
