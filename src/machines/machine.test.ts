import { describe, expect, it } from "vitest";
import { machineEvents, machineTransitions, nextStatus, ownerEventFor } from "./machine.ts";
import { machineStatuses } from "./model.ts";

describe("the machine state machine", () => {
  const allowed: Record<string, string> = {
    "draft.activate": "active",
    "draft.block": "blocked",
    "draft.reprove": "draft",
    "draft.archive": "archived",
    "active.degrade": "degraded",
    "active.block": "blocked",
    "active.reprove": "active",
    "active.archive": "archived",
    "degraded.recover": "active",
    "degraded.block": "blocked",
    "degraded.reprove": "degraded",
    "degraded.archive": "archived",
    "blocked.reprove": "active",
    "blocked.archive": "archived",
  };

  it("allows exactly the listed (status, event) pairs and forbids every other", () => {
    for (const status of machineStatuses) {
      for (const event of machineEvents) {
        expect(nextStatus(status, event), `${status}.${event}`).toBe(
          allowed[`${status}.${event}`] ?? null,
        );
      }
    }
    expect(Object.keys(machineTransitions)).toEqual([...machineStatuses]);
  });

  it("keeps archived final and lets only a fresh proof lift a block", () => {
    for (const event of machineEvents) expect(nextStatus("archived", event)).toBeNull();
    const exits = machineEvents.filter((e) => nextStatus("blocked", e) === "active");
    expect(exits).toEqual(["reprove"]);
  });

  it("maps an owner's status request to an event, never to a block", () => {
    expect(ownerEventFor("draft", "active")).toBe("activate");
    expect(ownerEventFor("degraded", "active")).toBe("recover");
    expect(ownerEventFor("blocked", "active")).toBeNull();
    expect(ownerEventFor("active", "blocked")).toBeNull();
    expect(ownerEventFor("active", "archived")).toBe("archive");
    expect(ownerEventFor("active", "degraded")).toBe("degrade");
  });
});
