import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import type { MarketEvent } from "./machine.ts";
import type { DeliveryProof, Terms } from "./model.ts";
import { marketProblems } from "./problems.ts";

/** The canonical hash of terms: both parties agree to exactly these bytes. */
export function termsHash(t: Terms): string {
  return `sha256:${sha256Hex(
    canonicalJson({
      scope: t.scope,
      price_minor: t.price_minor.toString(),
      asset: t.asset,
      delivery_deadline_ms: t.delivery_deadline_ms,
    }),
  )}`;
}

/** What an event may carry besides its name. */
export interface EventInput {
  /** agree: a counter-proposal; omitted fields keep their current value. */
  terms?: Partial<Omit<Terms, "asset">>;
  /** submit_proof. */
  proof?: DeliveryProof;
  /** reject, dispute, cancel, resolve: why (kept in the audit trail). */
  reason?: string;
  /** dispute: until when evidence is accepted (none = until the decision). */
  evidence_due_at_ms?: number;
  /** resolve: the seller's share of the escrow in basis points (10 000 = all of it). */
  seller_share_bps?: number;
}

const accepted: Record<MarketEvent, readonly (keyof EventInput)[]> = {
  agree: ["terms"],
  fund: [],
  start: [],
  submit_proof: ["proof"],
  start_review: [],
  accept: [],
  reject: ["reason"],
  dispute: ["reason", "evidence_due_at_ms"],
  cancel: ["reason"],
  resolve: ["reason", "seller_share_bps"],
};

const required: Partial<Record<MarketEvent, readonly (keyof EventInput)[]>> = {
  submit_proof: ["proof"],
  reject: ["reason"],
  dispute: ["reason"],
  resolve: ["seller_share_bps"],
};

/** Pointers name the fields as Pact's camelCase wire spells them. */
const wire: Record<keyof EventInput, string> = {
  terms: "terms",
  proof: "proof",
  reason: "reason",
  evidence_due_at_ms: "evidenceDeadline",
  seller_share_bps: "sellerShareBps",
};

/** Refuses fields an event does not take and missing ones it needs, naming each by pointer. */
export function checkEventInput(event: MarketEvent, input: EventInput): void {
  const errors: { pointer: string; detail: string }[] = [];
  for (const [field, value] of Object.entries(input) as [keyof EventInput, unknown][]) {
    if (value !== undefined && !accepted[event].includes(field))
      errors.push({ pointer: `/${wire[field]}`, detail: `is not a field of ${event}` });
  }
  for (const field of required[event] ?? []) {
    if (input[field] === undefined)
      errors.push({ pointer: `/${wire[field]}`, detail: "is required" });
  }
  const bps = input.seller_share_bps;
  if (bps !== undefined && (!Number.isInteger(bps) || bps < 0 || bps > 10_000))
    errors.push({ pointer: "/sellerShareBps", detail: "must be an integer 0–10000" });
  const price = input.terms?.price_minor;
  if (price !== undefined && price <= 0n)
    errors.push({ pointer: "/terms/price", detail: "must be greater than zero" });
  if (errors.length > 0)
    throw new Problem(
      marketProblems.MARKET_EVENT_INVALID,
      `${event}: ${errors.map((e) => `${e.pointer} ${e.detail}`).join("; ")}`,
      { errors },
    );
}

/** The order's terms after a counter-proposal (unchanged without one). */
export function proposedTerms(current: Terms, proposal: EventInput["terms"]): Terms {
  return {
    scope: proposal?.scope ?? current.scope,
    price_minor: proposal?.price_minor ?? current.price_minor,
    asset: current.asset,
    delivery_deadline_ms:
      proposal?.delivery_deadline_ms !== undefined
        ? proposal.delivery_deadline_ms
        : current.delivery_deadline_ms,
  };
}
