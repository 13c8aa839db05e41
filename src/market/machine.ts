/**
 * The Pact order state machine as data: (state, event) → rules, each rule naming who may fire it,
 * an optional condition, the next state and the effects the flow performs. The first rule whose
 * roles include the caller's and whose condition holds applies; a pair missing from the table is
 * a forbidden transition. Every applied rule is a guarded update plus an audit row and a receipt.
 */

export type MarketStatus =
  | "NEGOTIATING"
  | "AWAITING_PAY"
  | "ESCROWED"
  | "DELIVERING"
  | "PROOF_SUBMITTED"
  | "REVIEWING"
  | "COMPLETED"
  | "CANCELLED"
  | "DISPUTED"
  | "REFUNDED"
  | "RESOLVED";

export type MarketEvent =
  | "agree"
  | "fund"
  | "start"
  | "submit_proof"
  | "start_review"
  | "accept"
  | "reject"
  | "dispute"
  | "cancel"
  | "resolve";

/** Who fires an event: a party, the hub operator, or the hub itself (deadlines, competitors). */
export type Role = "buyer" | "seller" | "operator" | "system";

/** Facts a rule may depend on, computed by the flow from the order and the clock. */
export type Condition = "counterparty_agreed" | "delivery_overdue" | "final_rejection";

/** What the flow does when a rule applies, in this order. */
export type Effect =
  | "record_terms"
  | "fix_fee"
  | "hold_escrow"
  | "cancel_competitors"
  | "schedule_delivery_deadline"
  | "refund_escrow"
  | "record_proof"
  | "schedule_review_start"
  | "schedule_auto_accept"
  | "clear_deadlines"
  | "count_rejection"
  | "open_dispute"
  | "release_escrow"
  | "split_escrow";

export interface Rule {
  readonly by: readonly Role[];
  readonly when?: Condition;
  readonly to: MarketStatus;
  readonly effects: readonly Effect[];
}

export const marketStatuses: readonly MarketStatus[] = [
  "NEGOTIATING",
  "AWAITING_PAY",
  "ESCROWED",
  "DELIVERING",
  "PROOF_SUBMITTED",
  "REVIEWING",
  "COMPLETED",
  "CANCELLED",
  "DISPUTED",
  "REFUNDED",
  "RESOLVED",
];

export const marketEvents: readonly MarketEvent[] = [
  "agree",
  "fund",
  "start",
  "submit_proof",
  "start_review",
  "accept",
  "reject",
  "dispute",
  "cancel",
  "resolve",
];

export const roles: readonly Role[] = ["buyer", "seller", "operator", "system"];
export const conditions: readonly Condition[] = [
  "counterparty_agreed",
  "delivery_overdue",
  "final_rejection",
];

const PARTIES: readonly Role[] = ["buyer", "seller"];
const DISPUTE: readonly Rule[] = [
  { by: PARTIES, to: "DISPUTED", effects: ["clear_deadlines", "open_dispute"] },
];

export const marketTransitions: Readonly<
  Partial<Record<MarketStatus, Partial<Record<MarketEvent, readonly Rule[]>>>>
> = {
  NEGOTIATING: {
    // Both sides agree to the same terms hash; the first agreement only records the proposal.
    agree: [
      {
        by: PARTIES,
        when: "counterparty_agreed",
        to: "AWAITING_PAY",
        effects: ["record_terms", "fix_fee"],
      },
      { by: PARTIES, to: "NEGOTIATING", effects: ["record_terms"] },
    ],
    cancel: [{ by: [...PARTIES, "system"], to: "CANCELLED", effects: [] }],
  },
  AWAITING_PAY: {
    fund: [
      {
        by: ["buyer"],
        to: "ESCROWED",
        effects: ["hold_escrow", "cancel_competitors", "schedule_delivery_deadline"],
      },
    ],
    cancel: [{ by: [...PARTIES, "system"], to: "CANCELLED", effects: [] }],
  },
  ESCROWED: {
    start: [{ by: ["seller"], to: "DELIVERING", effects: [] }],
    cancel: [{ by: PARTIES, to: "REFUNDED", effects: ["clear_deadlines", "refund_escrow"] }],
  },
  DELIVERING: {
    submit_proof: [
      { by: ["seller"], to: "PROOF_SUBMITTED", effects: ["record_proof", "schedule_review_start"] },
    ],
    // The seller may always give up; the buyer only once the agreed delivery deadline passed.
    cancel: [
      { by: ["seller"], to: "REFUNDED", effects: ["clear_deadlines", "refund_escrow"] },
      {
        by: ["buyer"],
        when: "delivery_overdue",
        to: "REFUNDED",
        effects: ["clear_deadlines", "refund_escrow"],
      },
    ],
    dispute: DISPUTE,
  },
  PROOF_SUBMITTED: {
    start_review: [
      {
        by: ["buyer", "system"],
        to: "REVIEWING",
        effects: ["clear_deadlines", "schedule_auto_accept"],
      },
    ],
    dispute: DISPUTE,
  },
  REVIEWING: {
    accept: [
      { by: ["buyer", "system"], to: "COMPLETED", effects: ["clear_deadlines", "release_escrow"] },
    ],
    reject: [
      {
        by: ["buyer"],
        when: "final_rejection",
        to: "DISPUTED",
        effects: ["clear_deadlines", "count_rejection", "open_dispute"],
      },
      { by: ["buyer"], to: "DELIVERING", effects: ["clear_deadlines", "count_rejection"] },
    ],
    dispute: DISPUTE,
  },
  DISPUTED: {
    resolve: [{ by: ["operator"], to: "RESOLVED", effects: ["split_escrow"] }],
  },
};

/** Terminal statuses: nothing moves an order out of them. */
export const terminalMarketStatuses: readonly MarketStatus[] = [
  "COMPLETED",
  "CANCELLED",
  "REFUNDED",
  "RESOLVED",
];

/** Statuses of an order still being negotiated (one per listing and counterparty). */
export const negotiationStatuses: readonly MarketStatus[] = ["NEGOTIATING", "AWAITING_PAY"];

/** Statuses in which the buyer's money is held in escrow. */
export const escrowStatuses: readonly MarketStatus[] = [
  "ESCROWED",
  "DELIVERING",
  "PROOF_SUBMITTED",
  "REVIEWING",
  "DISPUTED",
];

/** Why an event was refused, so each refusal gets its own problem code. */
export type Refusal =
  | { kind: "state"; specific: "already_funded" | "dispute_window_closed" | null }
  | { kind: "role" }
  | { kind: "condition"; condition: Condition };

/** The rule that applies, or why none does. */
export function decide(
  from: MarketStatus,
  event: MarketEvent,
  facts: { roles: readonly Role[]; holds: ReadonlySet<Condition> },
): { rule: Rule } | { refused: Refusal } {
  const rules = marketTransitions[from]?.[event];
  if (!rules) return { refused: { kind: "state", specific: specificRefusal(from, event) } };
  const mine = rules.filter((r) => r.by.some((role) => facts.roles.includes(role)));
  if (mine.length === 0) return { refused: { kind: "role" } };
  const rule = mine.find((r) => r.when === undefined || facts.holds.has(r.when));
  if (rule) return { rule };
  const first = mine[0] as Rule;
  return { refused: { kind: "condition", condition: first.when as Condition } };
}

/** Refusals that deserve their own code: paying twice, disputing after the money moved. */
function specificRefusal(from: MarketStatus, event: MarketEvent) {
  if (event === "fund" && (escrowStatuses.includes(from) || terminalMarketStatuses.includes(from)))
    return from === "CANCELLED" ? null : "already_funded";
  if (event === "dispute" && (from === "COMPLETED" || from === "RESOLVED"))
    return "dispute_window_closed";
  return null;
}

/**
 * The events a role may fire from a status, read from the table (conditions aside: an event
 * listed here may still be refused when its condition does not hold, e.g. a deadline not passed).
 */
export function eventsFor(status: MarketStatus, role: Role): MarketEvent[] {
  const rules = marketTransitions[status] ?? {};
  return marketEvents.filter((event) => rules[event]?.some((rule) => rule.by.includes(role)));
}
