import type { PairingStatus } from "./model.ts";

/** What may happen to a pairing: the owner pauses, resumes or revokes it. */
export type PairingEvent = "pause" | "resume" | "revoke";
export const pairingEvents: readonly PairingEvent[] = ["pause", "resume", "revoke"];

/** The transition table: (status, event) → status; revoked is final. */
export const pairingTransitions: Readonly<
  Record<PairingStatus, Readonly<Partial<Record<PairingEvent, PairingStatus>>>>
> = {
  active: { pause: "paused", revoke: "revoked" },
  paused: { resume: "active", revoke: "revoked" },
  revoked: {},
};

/** The status after `event`, or null when it is not allowed. */
export function nextPairingStatus(
  status: PairingStatus,
  event: PairingEvent,
): PairingStatus | null {
  return pairingTransitions[status][event] ?? null;
}

/** The event an owner's status request means (PATCH accepts active and paused). */
export function pairingEventFor(to: PairingStatus): PairingEvent {
  return to === "active" ? "resume" : to === "paused" ? "pause" : "revoke";
}
