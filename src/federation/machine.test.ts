import { describe, expect, it } from "vitest";
import {
  callEvents,
  callTransitions,
  nextCallState,
  nextPeerState,
  peerEvents,
  peerTransitions,
} from "./machine.ts";
import { peerStates } from "./model.ts";

describe("federation state machines", () => {
  it("allows exactly the peer transitions of the table, and none out of refused", () => {
    const walked: string[] = [];
    for (const state of peerStates) {
      for (const event of peerEvents) {
        const next = nextPeerState(state, event);
        expect(next).toBe(peerTransitions[state][event] ?? null);
        walked.push(`${state}+${event}=${next}`);
      }
    }
    expect(walked).toEqual([
      "pending+crawl_ok=active",
      "pending+crawl_unreachable=pending",
      "pending+crawl_invalid=refused",
      "active+crawl_ok=active",
      "active+crawl_unreachable=degraded",
      "active+crawl_invalid=refused",
      "degraded+crawl_ok=active",
      "degraded+crawl_unreachable=degraded",
      "degraded+crawl_invalid=refused",
      "refused+crawl_ok=null",
      "refused+crawl_unreachable=null",
      "refused+crawl_invalid=null",
    ]);
  });

  it("ends a routed call once: settled or refunded, never both", () => {
    const walked = (["routing", "settled", "refunded"] as const).flatMap((state) =>
      callEvents.map((event) => `${state}+${event}=${nextCallState(state, event)}`),
    );
    expect(walked).toEqual([
      "routing+settle=settled",
      "routing+refund=refunded",
      "settled+settle=null",
      "settled+refund=null",
      "refunded+settle=null",
      "refunded+refund=null",
    ]);
    expect(Object.keys(callTransitions)).toHaveLength(3);
  });
});
