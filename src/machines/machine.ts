import type { MachineStatus } from "./model.ts";

/**
 * What may happen to a machine. `block` is the hub's own reaction to a controller change found on
 * re-check; `reprove` (a fresh identity proof by the owner) is the only way out of `blocked`.
 */
export type MachineEvent = "activate" | "degrade" | "recover" | "block" | "reprove" | "archive";
export const machineEvents: readonly MachineEvent[] = [
  "activate",
  "degrade",
  "recover",
  "block",
  "reprove",
  "archive",
];

/** The transition table: (status, event) → status. A missing pair is a forbidden transition. */
export const machineTransitions: Readonly<
  Record<MachineStatus, Readonly<Partial<Record<MachineEvent, MachineStatus>>>>
> = {
  draft: { activate: "active", block: "blocked", reprove: "draft", archive: "archived" },
  active: { degrade: "degraded", block: "blocked", reprove: "active", archive: "archived" },
  degraded: { recover: "active", block: "blocked", reprove: "degraded", archive: "archived" },
  blocked: { reprove: "active", archive: "archived" },
  archived: {},
};

/** The status after `event`, or null when the event is not allowed in `status`. */
export function nextStatus(status: MachineStatus, event: MachineEvent): MachineStatus | null {
  return machineTransitions[status][event] ?? null;
}

/** The statuses an owner may ask for with PATCH, and the event each request means from where. */
const ownerRequests: Readonly<Partial<Record<MachineStatus, MachineEvent>>> = {
  degraded: "degrade",
  archived: "archive",
};

/**
 * The event an owner's `status` change means: `active` is activate from draft and recover from
 * degraded; `blocked` is never the owner's to set. Null when there is no such event.
 */
export function ownerEventFor(from: MachineStatus, to: MachineStatus): MachineEvent | null {
  if (to === "active")
    return from === "draft" ? "activate" : from === "degraded" ? "recover" : null;
  return ownerRequests[to] ?? null;
}
