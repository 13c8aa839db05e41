import { describe, expect, it } from "vitest";
import { eventsFor, marketStatuses } from "../../src/market/index.ts";
import {
  escrowStatus,
  nextActions,
  type OrderState,
  roleOf,
  statusLabel,
  waitingFor,
} from "../../web/src/lib/order-actions.ts";

const order = (status: string, agreed = { buyer: false, seller: false }): OrderState => ({
  status,
  buyerId: "prn_buyer",
  sellerId: "prn_seller",
  allowedEvents: {
    buyer: eventsFor(status as never, "buyer"),
    seller: eventsFor(status as never, "seller"),
  },
  agreed,
});

const events = (o: OrderState, role: Parameters<typeof nextActions>[1]) =>
  nextActions(o, role).map((a) => a.event);

describe("next actions of a market order", () => {
  it("knows which side a principal is on", () => {
    expect(roleOf(order("ESCROWED"), "prn_buyer", false)).toBe("buyer");
    expect(roleOf(order("ESCROWED"), "prn_seller", true)).toBe("seller");
    expect(roleOf(order("ESCROWED"), "prn_other", true)).toBe("operator");
    expect(roleOf(order("ESCROWED"), "prn_other", false)).toBeNull();
  });

  it("offers exactly the events the hub's state machine allows each party", () => {
    for (const status of marketStatuses) {
      const o = order(status);
      for (const role of ["buyer", "seller"] as const) {
        expect(events(o, role), `${status} ${role}`).toEqual(o.allowedEvents[role]);
      }
    }
  });

  it("walks the happy path buyer and seller take", () => {
    expect(events(order("AWAITING_PAY"), "buyer")).toContain("fund");
    expect(events(order("AWAITING_PAY"), "seller")).not.toContain("fund");
    expect(events(order("ESCROWED"), "seller")).toContain("start");
    expect(events(order("DELIVERING"), "seller")).toContain("submit_proof");
    expect(events(order("REVIEWING"), "buyer")).toEqual(
      expect.arrayContaining(["accept", "reject"]),
    );
    expect(events(order("COMPLETED"), "buyer")).toEqual([]);
  });

  it("hides agreeing again and says who it waits for", () => {
    const o = order("NEGOTIATING", { buyer: false, seller: true });
    expect(events(o, "seller")).not.toContain("agree");
    expect(events(o, "buyer")).toContain("agree");
    expect(waitingFor(o, "seller")).toBe("Waiting for the buyer to agree to the same terms");
  });

  it("lets the operator decide only disputed orders, with a split", () => {
    expect(nextActions(order("DISPUTED"), "operator")).toEqual([
      expect.objectContaining({ event: "resolve", input: "split" }),
    ]);
    expect(nextActions(order("ESCROWED"), "operator")).toEqual([]);
    expect(nextActions(order("ESCROWED"), null)).toEqual([]);
  });

  it("asks for what an action needs and confirms what moves money", () => {
    const byEvent = (status: string, role: "buyer" | "seller") =>
      Object.fromEntries(nextActions(order(status), role).map((a) => [a.event, a]));
    expect(byEvent("AWAITING_PAY", "buyer").fund?.confirm).toMatch(/escrow/);
    expect(byEvent("DELIVERING", "seller").submit_proof?.input).toBe("proof");
    expect(byEvent("REVIEWING", "buyer").accept?.confirm).toMatch(/cannot be undone/);
    expect(byEvent("REVIEWING", "buyer").reject?.input).toBe("reason");
  });

  it("says where the money is in every state", () => {
    for (const status of marketStatuses) expect(escrowStatus(status).label).not.toBe(status);
    expect(escrowStatus("ESCROWED").held).toBe(true);
    expect(escrowStatus("COMPLETED")).toEqual({ label: "Released to the seller", held: false });
    expect(statusLabel("PROOF_SUBMITTED")).toBe("Proof submitted");
  });
});
