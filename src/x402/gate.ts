import type {
  PaymentPayload,
  PaymentPayloadV1,
  PaymentRequirements,
  SettleResponse,
} from "@x402/core/types";
import { deepEqual } from "@x402/core/utils";
import { PAYMENT_IDENTIFIER, validatePaymentIdentifier } from "@x402/extensions/payment-identifier";
import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import { decodePaymentHeader, X402_HEADERS } from "./codec.ts";
import { x402Limits } from "./limits.ts";
import type {
  AnyPaymentPayload,
  AnyPaymentRequirements,
  Facilitator,
  Hex,
  X402Challenge,
  X402Resource,
  X402Terms,
} from "./model.ts";
import {
  type PaymentIdSlot,
  settlementHeaders,
  settlementOf,
  type VerifiedPayment,
} from "./payment.ts";
import { x402Problems } from "./problems.ts";
import {
  type BazaarSpec,
  bazaarExtension,
  buildChallenge,
  paymentIdentifierExtension,
  requirementsV1,
  requirementsV2,
} from "./requirements.ts";
import { releasePaymentId, reservePaymentId } from "./store.ts";

/** What the gate needs: a facilitator, the terms, and (for payment identifiers) a database. */
export interface X402GateDeps {
  facilitator: Facilitator;
  terms: X402Terms;
  clock: Clock;
  /** Where payment identifiers are kept; without it the extension is not offered. */
  db?: Executor;
  /** Refuse v2 payments that carry no payment identifier (400). */
  payment_id_required?: boolean;
}

/** One paid request as the gate sees it. */
export interface GateRequest {
  /** The request's headers (Node lower-cases names). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The price in the token's atomic units (USDC: 6 decimals, so 10_000n is one cent). */
  amount_atomic: bigint;
  resource: X402Resource;
  /** Adds the Bazaar discovery extension to the 402 so crawlers index the route. */
  bazaar?: BazaarSpec;
}

/**
 * The gate's decision. `none` and `invalid` answer 402 with the challenge; `refused` is a
 * payment-identifier problem (400/409); `replay` is the first outcome of a retried payment;
 * `verified` means run the work, then `settle()` it (or `cancel()` it when the work failed).
 */
export type GateResult =
  | { kind: "none"; challenge: X402Challenge }
  | { kind: "invalid"; reason: string; challenge: X402Challenge }
  | { kind: "refused"; problem: Problem }
  | { kind: "replay"; settlement: SettleResponse; result: unknown; headers: Record<string, string> }
  | { kind: "verified"; payment: VerifiedPayment };

/** The x402 gate of paid routes: reads the payment header, verifies, hands back `settle()`. */
export function createX402Gate(deps: X402GateDeps) {
  const extensionsOf = (request: GateRequest) => ({
    ...(request.bazaar ? bazaarExtension(request.bazaar) : {}),
    ...(deps.db ? paymentIdentifierExtension(deps.payment_id_required === true) : {}),
  });

  // A route's 402 is the same for every caller until its price or description changes: it is
  // built once (the exact scheme's price parser, the Bazaar declaration, base64 JSON) and
  // shared, frozen (a copy: the route's own objects stay theirs), by later requests.
  const challenges = new Map<string, Promise<X402Challenge>>();

  /** The 402 for this request, with `error` saying why. */
  function challenge(request: GateRequest, error: string): Promise<X402Challenge> {
    const key = JSON.stringify([
      request.amount_atomic.toString(),
      request.resource,
      error,
      request.bazaar ?? null,
    ]);
    const hit = challenges.get(key);
    if (hit) return hit;
    const made = buildChallenge({
      terms: deps.terms,
      amount_atomic: request.amount_atomic,
      resource: request.resource,
      error,
      extensions: extensionsOf(request),
    }).then((c) => deepFreeze(structuredClone(c)));
    made.catch(() => challenges.delete(key));
    challenges.set(key, made);
    if (challenges.size > x402Limits.challenges_cached_max) {
      challenges.delete(challenges.keys().next().value as string);
    }
    return made;
  }

  async function check(request: GateRequest): Promise<GateResult> {
    const found = paymentHeaderOf(request.headers);
    if (found === null) {
      return { kind: "none", challenge: await challenge(request, "Payment required") };
    }
    const invalid = async (reason: string): Promise<GateResult> => ({
      kind: "invalid",
      reason,
      challenge: await challenge(request, reason),
    });
    if ("ambiguous" in found) return invalid("send one of PAYMENT-SIGNATURE or X-PAYMENT");
    const decoded = decodePaymentHeader(found.value, found.version);
    if (!decoded.ok) return invalid(decoded.defect);
    const requirements = await matchingRequirements(deps.terms, request, decoded.payload);
    if (requirements === null) return invalid("No matching payment requirements");
    const slot = await paymentIdSlot(deps, decoded.payload);
    if (slot !== null && "result" in slot) return slot.result;
    const verdict = await verifyHolding(deps, decoded.payload, requirements, slot);
    if (!verdict.isValid) return invalid(verdict.invalidReason ?? "invalid_payment");
    const payment = settlementOf(deps, {
      payload: decoded.payload,
      requirements,
      payer: (verdict.payer ?? payerOf(decoded.payload)) as Hex,
      amount_atomic: request.amount_atomic,
      slot,
    });
    return { kind: "verified", payment };
  }

  return { check, challenge };
}

export type X402Gate = ReturnType<typeof createX402Gate>;

/** Verifies, freeing the payment identifier when the payment is refused or unverifiable. */
async function verifyHolding(
  deps: X402GateDeps,
  payload: AnyPaymentPayload,
  requirements: AnyPaymentRequirements,
  slot: PaymentIdSlot | null,
) {
  const release = () => (slot && deps.db ? releasePaymentId(deps.db, slot) : Promise.resolve());
  try {
    const verdict = await deps.facilitator.verify(payload, requirements);
    if (!verdict.isValid) await release();
    return verdict;
  } catch (error) {
    await release();
    throw error;
  }
}

/** The one payment header of a request, by version; both at once is ambiguous. */
function paymentHeaderOf(
  headers: GateRequest["headers"],
): { value: string; version: 1 | 2 } | { ambiguous: true } | null {
  const v2 = headers[X402_HEADERS.payment_signature.toLowerCase()];
  const v1 = headers[X402_HEADERS.x_payment.toLowerCase()];
  if (v2 !== undefined && v1 !== undefined) return { ambiguous: true };
  const value = v2 ?? v1;
  if (value === undefined) return null;
  if (Array.isArray(value)) return { ambiguous: true };
  return { value, version: v2 !== undefined ? 2 : 1 };
}

/**
 * Our requirements the payload was made for, or null. v2 compares every field of `accepted`
 * (extra may carry more); v1 has no echo, so scheme and network pick the entry. Verification
 * then runs against OUR requirements, never the client's copy.
 */
async function matchingRequirements(
  terms: X402Terms,
  request: GateRequest,
  payload: AnyPaymentPayload,
): Promise<AnyPaymentRequirements | null> {
  if (payload.x402Version === 2) {
    const ours = await requirementsV2(terms, request.amount_atomic);
    return acceptedMatches(ours, (payload as PaymentPayload).accepted) ? ours : null;
  }
  const ours = requirementsV1(terms, request.amount_atomic, request.resource);
  const v1 = payload as PaymentPayloadV1;
  return ours && v1.scheme === ours.scheme && v1.network === ours.network ? ours : null;
}

function acceptedMatches(ours: PaymentRequirements, accepted: PaymentRequirements): boolean {
  const lower = (r: PaymentRequirements) => ({
    ...r,
    asset: r.asset.toLowerCase(),
    payTo: r.payTo.toLowerCase(),
    extra: undefined,
  });
  if (!deepEqual(lower(ours), lower(accepted))) return false;
  return Object.entries(ours.extra).every(([k, v]) => deepEqual(v, accepted.extra?.[k]));
}

/**
 * Reserves the payload's payment identifier (v2 extension). Returns null when there is none
 * (or no database), the reserved slot, or a final answer: replay, conflict, in use, missing.
 */
async function paymentIdSlot(
  deps: X402GateDeps,
  payload: AnyPaymentPayload,
): Promise<PaymentIdSlot | { result: GateResult } | null> {
  if (!deps.db || payload.x402Version !== 2) return null;
  const refuse = (spec: keyof typeof x402Problems, detail: string) => ({
    result: { kind: "refused", problem: new Problem(x402Problems[spec], detail) } as GateResult,
  });
  const { id, errors } = paymentIdOf(payload as PaymentPayload);
  if (errors !== null) return refuse("X402_PAYMENT_ID_REQUIRED", errors.join("; "));
  if (id === null) {
    return deps.payment_id_required
      ? refuse("X402_PAYMENT_ID_REQUIRED", "send extensions.payment-identifier.info.id")
      : null;
  }
  const slot = { id, payload_sha256: sha256Hex(canonicalJson(payload)) };
  const r = await reservePaymentId(deps.db, { ...slot, now_ms: deps.clock.now_ms() });
  if (r.outcome === "conflict") {
    return refuse("X402_PAYMENT_ID_CONFLICT", `payment ${id} was made with another payload`);
  }
  if (r.outcome === "in_use") {
    return refuse("X402_PAYMENT_ID_IN_USE", `payment ${id} is still being processed`);
  }
  if (r.outcome === "replay") {
    const headers = settlementHeaders(2, r.response);
    return { result: { kind: "replay", settlement: r.response, result: r.result, headers } };
  }
  return slot;
}

/**
 * The payload's payment identifier, or null when it declares none. The echoed extension is
 * judged by OUR declaration's rules (`required` boolean; `id` 16–128 of `[A-Za-z0-9_-]`), which
 * the library checks by hand: its `extractAndValidatePaymentIdentifier` also compiles the
 * `schema` the client sent back with a fresh Ajv on every call, which is the payer's JSON
 * Schema run on our CPU (tens of ms per paid call) and adds nothing our rules do not cover.
 */
function paymentIdOf(payload: PaymentPayload): { id: string | null; errors: string[] | null } {
  const extension = payload.extensions?.[PAYMENT_IDENTIFIER];
  if (!extension) return { id: null, errors: null };
  const info = typeof extension === "object" ? (extension as { info?: unknown }).info : undefined;
  const validation = validatePaymentIdentifier({ info });
  if (!validation.valid) return { id: null, errors: validation.errors ?? ["invalid"] };
  const id = (info as { id?: string }).id;
  return { id: id ?? null, errors: null };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The payer named by an EIP-3009 payload, before the facilitator says so. */
function payerOf(payload: AnyPaymentPayload): string {
  const auth = (payload.payload as { authorization?: { from?: unknown } }).authorization;
  return typeof auth?.from === "string" ? auth.from : "";
}
