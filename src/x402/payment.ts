import type { SettleResponse } from "@x402/core/types";
import type { Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem, type ProblemSpec } from "../kernel/problem.ts";
import { encodeResponseHeader, X402_HEADERS } from "./codec.ts";
import { x402Limits } from "./limits.ts";
import type {
  AnyPaymentPayload,
  AnyPaymentRequirements,
  Facilitator,
  Hex,
  SettlementOutcome,
  SettlementStatus,
  X402Challenge,
} from "./model.ts";
import { finishPaymentId, releasePaymentId } from "./store.ts";

/** A reserved payment identifier and the payload it is bound to. */
export interface PaymentIdSlot {
  id: string;
  payload_sha256: string;
}

/**
 * A payment the facilitator verified; nothing has moved yet. Call `settle()` once after the
 * work succeeded, or `cancel()` when it failed, never both: an unsettled authorization simply
 * expires at `validBefore`, so the payer is charged only for work that was done.
 */
export interface VerifiedPayment {
  version: 1 | 2;
  payer: Hex;
  amount_atomic: bigint;
  /** As the requirements name it: CAIP-2 for v2, the v1 name for v1. */
  network: string;
  asset: Hex;
  payload: AnyPaymentPayload;
  requirements: AnyPaymentRequirements;
  payment_id: string | null;
  /** The reserved payment identifier and its payload hash (reconciliation finishes it). */
  slot: PaymentIdSlot | null;
  /**
   * Starts the settlement's chain reads now (its gas estimate), for work about to run in
   * process: they overlap the work instead of following it. Nothing moves; settle or cancel
   * still decide. A no-op where the facilitator has nothing to start.
   */
  prepare(): void;
  /** Settles on chain; `result` is kept with the payment identifier for replays. */
  settle(options?: { result?: unknown }): Promise<SettlementOutcome>;
  /** Gives the payment up (the work failed): frees the payment identifier. */
  cancel(): Promise<void>;
}

interface SettlementDeps {
  facilitator: Facilitator;
  clock: Clock;
  db?: Executor;
}

/** The `verified` half of the gate: settle or cancel, exactly once. */
export function settlementOf(
  deps: SettlementDeps,
  spec: {
    payload: AnyPaymentPayload;
    requirements: AnyPaymentRequirements;
    payer: Hex;
    amount_atomic: bigint;
    slot: PaymentIdSlot | null;
  },
): VerifiedPayment {
  let done = false;
  const once = () => {
    assert(!done, "a verified x402 payment is settled or cancelled once");
    done = true;
  };
  const version = spec.payload.x402Version === 1 ? 1 : 2;
  return {
    version,
    payer: spec.payer,
    amount_atomic: spec.amount_atomic,
    network: spec.requirements.network,
    asset: spec.requirements.asset as Hex,
    payload: spec.payload,
    requirements: spec.requirements,
    payment_id: spec.slot?.id ?? null,
    slot: spec.slot,
    prepare() {
      if (!done) deps.facilitator.prepare?.(spec.payload, spec.requirements);
    },
    async settle(options = {}) {
      once();
      const response = await settleOrPending(deps.facilitator, spec);
      const status = statusOf(response);
      if (spec.slot && deps.db) await recordSlot(deps, spec.slot, status, response, options);
      return { status, response, headers: settlementHeaders(version, response) };
    },
    async cancel() {
      once();
      if (spec.slot && deps.db) await releasePaymentId(deps.db, spec.slot);
    },
  };
}

/**
 * Settles; a facilitator that cannot be reached leaves the outcome unknown, which is
 * `settlement_pending` (the EIP-3009 nonce makes a later retry or reconciliation safe).
 */
async function settleOrPending(
  facilitator: Facilitator,
  spec: { payload: AnyPaymentPayload; requirements: AnyPaymentRequirements; payer: Hex },
): Promise<SettleResponse> {
  try {
    return await facilitator.settle(spec.payload, spec.requirements);
  } catch (error) {
    return {
      success: false,
      errorReason: "settlement_pending",
      errorMessage: error instanceof Error ? error.message : String(error),
      transaction: "",
      network: spec.requirements.network as SettleResponse["network"],
      payer: spec.payer,
    };
  }
}

function statusOf(response: SettleResponse): SettlementStatus {
  if (response.success) return "settled";
  return response.errorReason === "settlement_pending" ? "pending" : "failed";
}

async function recordSlot(
  deps: SettlementDeps & { db?: Executor },
  slot: PaymentIdSlot,
  status: SettlementStatus,
  response: SettleResponse,
  options: { result?: unknown },
): Promise<void> {
  assert(deps.db, "a payment identifier slot needs the database");
  if (status === "failed") return releasePaymentId(deps.db, slot);
  let result_json: string | null = null;
  if (options.result !== undefined) {
    const text = JSON.stringify(options.result);
    // A result too large to keep replays as settled-without-result rather than failing.
    if (Buffer.byteLength(text) <= x402Limits.payment_id_result_bytes_max) result_json = text;
  }
  await finishPaymentId(deps.db, {
    ...slot,
    state: status,
    response,
    result_json,
    now_ms: deps.clock.now_ms(),
  });
}

/** PAYMENT-RESPONSE (v2) or X-PAYMENT-RESPONSE (v1, the v1 SettlementResponse fields). */
export function settlementHeaders(
  version: 1 | 2,
  response: SettleResponse,
): Record<string, string> {
  if (version === 2) return { [X402_HEADERS.payment_response]: encodeResponseHeader(response) };
  const v1 = {
    success: response.success,
    ...(response.errorReason ? { errorReason: response.errorReason } : {}),
    transaction: response.transaction,
    network: response.network,
    payer: response.payer ?? "",
  };
  return { [X402_HEADERS.x_payment_response]: encodeResponseHeader(v1 as SettleResponse) };
}

/**
 * The 402 as a Problem (problem+json): the challenge's headers, its body fields as extensions
 * (so a v1 client still finds `x402Version`, `error` and `accepts` at the top), and the v2
 * PaymentRequired under `payment_required`.
 */
export function challengeProblem(
  challenge: X402Challenge,
  spec: ProblemSpec,
  detail: string,
  headers: Record<string, string> = {},
): Problem {
  return new Problem(spec, detail, {
    headers: { ...challenge.headers, ...headers },
    extensions: { ...challenge.body, payment_required: challenge.payment_required },
  });
}
