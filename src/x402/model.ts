import type {
  Network,
  PaymentPayload,
  PaymentPayloadV1,
  PaymentRequirements,
  PaymentRequirementsV1,
  SettleResponse,
  SupportedResponse,
  VerifyResponse,
} from "@x402/core/types";

/**
 * x402 on EVM, protocol v1 and v2, exact scheme (EIP-3009). Replays: the chain refuses a used
 * authorization nonce, so a replayed payment fails verification; a payment identifier (v2
 * extension) turns a retried request into the first outcome. Concurrency: settlements of one
 * signer are broadcast one at a time, so they never race for a nonce.
 */

/** A 0x-prefixed hex string (addresses, hashes). */
export type Hex = `0x${string}`;

/** The payload a client sends, in either protocol version. */
export type AnyPaymentPayload = PaymentPayload | PaymentPayloadV1;

/** What a payload is checked against, in either protocol version. */
export type AnyPaymentRequirements = PaymentRequirements | PaymentRequirementsV1;

/**
 * A facilitator: verifies a payment without moving money and settles it on chain. In-process
 * (`createLocalFacilitator`) or remote (`createRemoteFacilitator`), the gate cannot tell.
 * `verify` and `settle` answer protocol outcomes (`isValid:false`, `success:false`); they throw
 * only when the facilitator itself cannot answer (X402_FACILITATOR_UNAVAILABLE).
 */
export interface Facilitator {
  verify(payload: AnyPaymentPayload, requirements: AnyPaymentRequirements): Promise<VerifyResponse>;
  settle(payload: AnyPaymentPayload, requirements: AnyPaymentRequirements): Promise<SettleResponse>;
  supported(): Promise<SupportedResponse>;
  /**
   * Starts what settling a verified payment will need from the chain (the in-process
   * facilitator: its gas estimate, the last simulation before broadcast) so it runs alongside
   * work about to take a few milliseconds; `settle` then claims it. Optional: a remote
   * facilitator has nothing to start.
   */
  prepare?(payload: AnyPaymentPayload, requirements: AnyPaymentRequirements): void;
}

/** The terms under which this hub takes x402 payments: one chain, one token, one payee. */
export interface X402Terms {
  /** CAIP-2, e.g. `eip155:8453`. */
  network: Network;
  /** The ERC-20 (EIP-3009) token contract. */
  asset: Hex;
  /** Who is paid (the hub's address). */
  pay_to: Hex;
  /** The token's EIP-712 domain; USDC is `{ name: "USD Coin", version: "2" }`. */
  eip712: { name: string; version: string };
  /** How long a signed authorization may stay valid. */
  max_timeout_seconds: number;
}

/** The protected resource, as 402s describe it. */
export interface X402Resource {
  url: string;
  description?: string;
  mimeType?: string;
}

/** Response headers and body of a 402, ready to send (body is the v1 shape when v1 applies). */
export interface X402Challenge {
  status: 402;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** The v2 PaymentRequired that PAYMENT-REQUIRED carries, for a problem+json body. */
  payment_required: Record<string, unknown>;
}

/** How a settlement ended. `pending`: broadcast but not confirmed in time; reconcile later. */
export type SettlementStatus = "settled" | "failed" | "pending";

/** The result of `settle()` on a verified payment. */
export interface SettlementOutcome {
  status: SettlementStatus;
  response: SettleResponse;
  /** PAYMENT-RESPONSE (v2) or X-PAYMENT-RESPONSE (v1) to add to the answer. */
  headers: Record<string, string>;
}
