/** What the console needs of a market order to decide what a person may do next. */
export interface OrderState {
  status: string;
  buyerId: string;
  sellerId: string;
  allowedEvents: { buyer: string[]; seller: string[] };
  agreed: { buyer: boolean; seller: boolean };
}

export type OrderRole = "buyer" | "seller" | "operator";

/** The form an action needs before it can be sent. */
export type ActionInput = "none" | "terms" | "proof" | "reason" | "split";

export interface NextAction {
  event: string;
  label: string;
  input: ActionInput;
  /** Actions that move money or cannot be undone ask for confirmation. */
  confirm: string | null;
  tone: "primary" | "neutral" | "danger";
}

const ACTIONS: Record<string, Omit<NextAction, "event">> = {
  agree: { label: "Agree to terms", input: "terms", confirm: null, tone: "primary" },
  fund: {
    label: "Fund escrow",
    input: "none",
    confirm: "The price moves from your balance into escrow.",
    tone: "primary",
  },
  start: { label: "Start work", input: "none", confirm: null, tone: "primary" },
  submit_proof: { label: "Deliver with proof", input: "proof", confirm: null, tone: "primary" },
  start_review: { label: "Start review", input: "none", confirm: null, tone: "primary" },
  accept: {
    label: "Accept delivery",
    input: "none",
    confirm: "Escrow is released to the seller (minus the hub fee). This cannot be undone.",
    tone: "primary",
  },
  reject: { label: "Reject delivery", input: "reason", confirm: null, tone: "danger" },
  dispute: { label: "Open a dispute", input: "reason", confirm: null, tone: "danger" },
  cancel: {
    label: "Cancel order",
    input: "none",
    confirm: "The order is cancelled; any escrow returns to the buyer.",
    tone: "danger",
  },
  resolve: { label: "Decide dispute", input: "split", confirm: null, tone: "primary" },
};

/** Which side of the order a principal is on (the operator sees every order). */
export function roleOf(
  order: OrderState,
  principal_id: string,
  operator: boolean,
): OrderRole | null {
  if (order.buyerId === principal_id) return "buyer";
  if (order.sellerId === principal_id) return "seller";
  return operator ? "operator" : null;
}

/**
 * The buttons to show: the events the hub says this role may fire next, in the hub's order, with
 * what each needs. Agreeing again after one's own agreement is hidden (it only waits for the other
 * side); the operator decides disputes.
 */
export function nextActions(order: OrderState, role: OrderRole | null): NextAction[] {
  if (role === null) return [];
  const events =
    role === "operator"
      ? order.status === "DISPUTED"
        ? ["resolve"]
        : []
      : order.allowedEvents[role];
  return events
    .filter((e) => !(e === "agree" && role !== "operator" && order.agreed[role]))
    .map((event) => ({ event, ...(ACTIONS[event] ?? fallback(event)) }));
}

function fallback(event: string): Omit<NextAction, "event"> {
  return { label: event.replace(/_/g, " "), input: "none", confirm: null, tone: "neutral" };
}

/** Where the money of an order is, in words. */
export function escrowStatus(status: string): { label: string; held: boolean } {
  switch (status) {
    case "NEGOTIATING":
    case "AWAITING_PAY":
      return { label: "Not funded yet", held: false };
    case "ESCROWED":
    case "DELIVERING":
    case "PROOF_SUBMITTED":
    case "REVIEWING":
      return { label: "Held in escrow", held: true };
    case "DISPUTED":
      return { label: "Frozen in escrow while disputed", held: true };
    case "COMPLETED":
      return { label: "Released to the seller", held: false };
    case "REFUNDED":
      return { label: "Refunded to the buyer", held: false };
    case "RESOLVED":
      return { label: "Split by the operator's decision", held: false };
    case "CANCELLED":
      return { label: "Cancelled; nothing held", held: false };
    default:
      return { label: status, held: false };
  }
}

/** A status for people: "PROOF_SUBMITTED" → "Proof submitted". */
export function statusLabel(status: string): string {
  const words = status.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What the other side still has to do, when this role has nothing to fire. */
export function waitingFor(order: OrderState, role: OrderRole | null): string | null {
  if (role === null || role === "operator") return null;
  const other = role === "buyer" ? "seller" : "buyer";
  if (order.status === "NEGOTIATING" && order.agreed[role] && !order.agreed[other]) {
    return `Waiting for the ${other} to agree to the same terms`;
  }
  if (nextActions(order, role).length === 0 && order.allowedEvents[other].length > 0) {
    return `Waiting for the ${other}`;
  }
  return null;
}
