import type { CallState, PeerState } from "./model.ts";

/**
 * What a crawl found: documents that verify (`crawl_ok`), a peer that did not answer in time or
 * sensibly (`crawl_unreachable`), or documents whose signature does not hold (`crawl_invalid`).
 */
export type PeerEvent = "crawl_ok" | "crawl_unreachable" | "crawl_invalid";
export const peerEvents: readonly PeerEvent[] = ["crawl_ok", "crawl_unreachable", "crawl_invalid"];

/**
 * (state, event) → state. A peer becomes `active` only through a crawl that verified its signed
 * manifest; a signature that fails refuses the peer for good (an operator decides anything
 * else); an active peer that stops answering is `degraded` until a crawl succeeds again.
 */
export const peerTransitions: Readonly<
  Record<PeerState, Readonly<Partial<Record<PeerEvent, PeerState>>>>
> = {
  pending: { crawl_ok: "active", crawl_unreachable: "pending", crawl_invalid: "refused" },
  active: { crawl_ok: "active", crawl_unreachable: "degraded", crawl_invalid: "refused" },
  degraded: { crawl_ok: "active", crawl_unreachable: "degraded", crawl_invalid: "refused" },
  refused: {},
};

/** The state after `event`, or null when it is not allowed. */
export function nextPeerState(state: PeerState, event: PeerEvent): PeerState | null {
  return peerTransitions[state][event] ?? null;
}

/** What ends a routed call: the provider delivered, or the caller's money goes back. */
export type CallEvent = "settle" | "refund";
export const callEvents: readonly CallEvent[] = ["settle", "refund"];

/** (state, event) → state of a routed call; both ends are final. */
export const callTransitions: Readonly<
  Record<CallState, Readonly<Partial<Record<CallEvent, CallState>>>>
> = {
  routing: { settle: "settled", refund: "refunded" },
  settled: {},
  refunded: {},
};

/** The call state after `event`, or null when it is not allowed. */
export function nextCallState(state: CallState, event: CallEvent): CallState | null {
  return callTransitions[state][event] ?? null;
}
