import { describe, expect, it } from "vitest";
import {
  type Condition,
  conditions,
  decide,
  eventsFor,
  type MarketEvent,
  type MarketStatus,
  marketEvents,
  marketStatuses,
  type Role,
  roles,
  terminalMarketStatuses,
} from "./machine.ts";

/**
 * Every allowed (state, event), written out once more by hand as `role[:condition]→TO` in the
 * order the rules apply: the table and this list must agree for every role and every fact.
 */
const allowed: Record<string, string> = {
  "NEGOTIATING/agree":
    "buyer:counterparty_agreed→AWAITING_PAY seller:counterparty_agreed→AWAITING_PAY " +
    "buyer→NEGOTIATING seller→NEGOTIATING",
  "NEGOTIATING/cancel": "buyer→CANCELLED seller→CANCELLED system→CANCELLED",
  "AWAITING_PAY/fund": "buyer→ESCROWED",
  "AWAITING_PAY/cancel": "buyer→CANCELLED seller→CANCELLED system→CANCELLED",
  "ESCROWED/start": "seller→DELIVERING",
  "ESCROWED/cancel": "buyer→REFUNDED seller→REFUNDED",
  "DELIVERING/submit_proof": "seller→PROOF_SUBMITTED",
  "DELIVERING/cancel": "seller→REFUNDED buyer:delivery_overdue→REFUNDED",
  "DELIVERING/dispute": "buyer→DISPUTED seller→DISPUTED",
  "PROOF_SUBMITTED/start_review": "buyer→REVIEWING system→REVIEWING",
  "PROOF_SUBMITTED/dispute": "buyer→DISPUTED seller→DISPUTED",
  "REVIEWING/accept": "buyer→COMPLETED system→COMPLETED",
  "REVIEWING/reject": "buyer:final_rejection→DISPUTED buyer→DELIVERING",
  "REVIEWING/dispute": "buyer→DISPUTED seller→DISPUTED",
  "DISPUTED/resolve": "operator→RESOLVED",
};

interface Entry {
  role: Role;
  when: Condition | null;
  to: MarketStatus;
}

function entriesOf(text: string): Entry[] {
  return text.split(" ").map((part) => {
    const [who = "", to = ""] = part.split("→");
    const [role, when] = who.split(":");
    return { role: role as Role, when: (when ?? null) as Condition | null, to: to as MarketStatus };
  });
}

/** Every subset of the conditions, so each rule is tried with its condition true and false. */
const factSets: Set<Condition>[] = Array.from(
  { length: 1 << conditions.length },
  (_, bits) => new Set(conditions.filter((_c, i) => bits & (1 << i))),
);

function expected(from: MarketStatus, event: MarketEvent, role: Role, holds: Set<Condition>) {
  const text = allowed[`${from}/${event}`];
  if (text === undefined) return "state";
  const mine = entriesOf(text).filter((e) => e.role === role);
  if (mine.length === 0) return "role";
  const hit = mine.find((e) => e.when === null || holds.has(e.when));
  return hit ? hit.to : "condition";
}

describe("market order state machine", () => {
  for (const from of marketStatuses) {
    for (const event of marketEvents) {
      const text = allowed[`${from}/${event}`];
      it(`${text ? "allows" : "forbids"} ${event} in ${from}${text ? `: ${text}` : ""}`, () => {
        for (const role of roles) {
          for (const holds of factSets) {
            const got = decide(from, event, { roles: [role], holds });
            const outcome = "rule" in got ? got.rule.to : got.refused.kind;
            expect(outcome, `${role} with ${[...holds].join(",") || "no facts"}`).toBe(
              expected(from, event, role, holds),
            );
          }
        }
      });
    }
  }

  it("lets nothing leave a terminal status", () => {
    for (const from of terminalMarketStatuses) {
      for (const event of marketEvents) {
        const got = decide(from, event, { roles: [...roles], holds: new Set(conditions) });
        expect("refused" in got).toBe(true);
      }
    }
  });

  it("names paying twice and disputing after completion as their own refusals", () => {
    const none = { roles: ["buyer"] as Role[], holds: new Set<Condition>() };
    expect(decide("ESCROWED", "fund", none)).toEqual({
      refused: { kind: "state", specific: "already_funded" },
    });
    expect(decide("COMPLETED", "dispute", none)).toEqual({
      refused: { kind: "state", specific: "dispute_window_closed" },
    });
    expect(decide("CANCELLED", "fund", none)).toEqual({
      refused: { kind: "state", specific: null },
    });
  });

  it("lets a principal holding two roles use whichever the rule allows", () => {
    const got = decide("DISPUTED", "resolve", { roles: ["buyer", "operator"], holds: new Set() });
    expect("rule" in got && got.rule.to).toBe("RESOLVED");
  });

  it("moves money only on fund, accept, cancel after funding and resolve", () => {
    const moves = new Set(["hold_escrow", "release_escrow", "refund_escrow", "split_escrow"]);
    const seen: string[] = [];
    for (const from of marketStatuses) {
      for (const event of marketEvents) {
        const got = decide(from, event, { roles: [...roles], holds: new Set(conditions) });
        if ("rule" in got && got.rule.effects.some((e) => moves.has(e)))
          seen.push(`${from}/${event}`);
      }
    }
    expect(seen.sort()).toEqual(
      [
        "AWAITING_PAY/fund",
        "DELIVERING/cancel",
        "DISPUTED/resolve",
        "ESCROWED/cancel",
        "REVIEWING/accept",
      ].sort(),
    );
  });
});

describe("eventsFor", () => {
  it("lists, for every status and role, exactly the events the hand-written table gives that role", () => {
    for (const status of marketStatuses) {
      for (const role of roles) {
        const expected = marketEvents.filter((event) =>
          (allowed[`${status}/${event}`] ?? "")
            .split(" ")
            .some((entry) => entry.split(/[:→]/)[0] === role),
        );
        expect(eventsFor(status, role), `${status} ${role}`).toEqual(expected);
      }
    }
  });

  it("offers the buyer funding while awaiting payment and nothing once completed", () => {
    expect(eventsFor("AWAITING_PAY", "buyer")).toContain("fund");
    expect(eventsFor("AWAITING_PAY", "seller")).not.toContain("fund");
    expect(eventsFor("ESCROWED", "seller")).toContain("start");
  });
});
