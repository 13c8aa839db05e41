import { defineProblems } from "../kernel/problem.ts";

/**
 * Problems of on-chain payments: x402 (the gate, facilitators, payment identifiers) and ERC-20
 * transfer proofs verified over RPC (codes and statuses as peaq Machine Markets defines them).
 */
export const x402Problems = defineProblems({
  X402_PAYMENT_REQUIRED: { status: 402, title: "This resource must be paid with x402" },
  X402_PAYMENT_INVALID: { status: 402, title: "The x402 payment was refused" },
  X402_SETTLEMENT_FAILED: { status: 402, title: "The x402 payment could not be settled" },
  X402_SETTLEMENT_PENDING: {
    status: 504,
    title: "The x402 settlement outcome is not known yet",
  },
  X402_FACILITATOR_UNAVAILABLE: {
    status: 502,
    title: "The x402 facilitator could not be reached",
  },
  X402_PAYMENT_ID_REQUIRED: {
    status: 400,
    title: "This resource needs a payment identifier",
  },
  X402_PAYMENT_ID_CONFLICT: {
    status: 409,
    title: "This payment identifier was used with a different payment",
  },
  X402_PAYMENT_ID_IN_USE: {
    status: 409,
    title: "A payment with this identifier is still being processed",
  },
  PAYMENT_RPC_REQUIRED: {
    status: 501,
    title: "Verifying this payment needs an RPC endpoint the hub does not have",
  },
  PAYMENT_RPC_ERROR: { status: 502, title: "The chain's RPC endpoint failed" },
  PAYMENT_NOT_MINED: { status: 409, title: "The payment transaction is not mined yet" },
  PAYMENT_TX_FAILED: { status: 402, title: "The payment transaction failed on chain" },
  PAYMENT_TRANSFER_NOT_FOUND: {
    status: 400,
    title: "The transaction holds no matching token transfer",
  },
  PAYMENT_SENDER_UNKNOWN: {
    status: 403,
    title: "The transfer was sent from an address the payer has not proven it controls",
  },
  ESCROW_ACTION_NOT_FOUND: {
    status: 404,
    title: "The order has no on-chain escrow release or refund",
  },
  ESCROW_ACTION_NOT_FAILED: {
    status: 409,
    title: "Only a failed on-chain escrow action can be retried",
  },
  PAYMENT_TX_ALREADY_USED: {
    status: 409,
    title: "This transaction already paid for something else",
  },
});
