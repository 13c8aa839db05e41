/**
 * The outbox: effects on the outside world (webhooks, deadlines, settlement) are written as rows
 * in the same transaction as the domain change that causes them, then delivered by a worker.
 * Delivery is at-least-once: a handler may run again after a crash, so handlers are idempotent
 * (they carry the message id as their own idempotency key). A row with a future `due_at_ms` is
 * a timed event (the scheduler). `dedupe_key` makes enqueueing idempotent and lets a deadline be
 * cancelled by name.
 */

export type OutboxState = "pending" | "done" | "dead" | "cancelled";

export interface OutboxMessage {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  state: OutboxState;
  attempts: number;
  /** When the message is next due (first delivery time for timed events). */
  due_at_ms: number;
  dedupe_key: string | null;
  last_error: string | null;
  created_at_ms: number;
}

/** What a handler reports. Throwing counts as `retry` with the error as reason. */
export type HandlerOutcome =
  | { outcome: "done" }
  | { outcome: "retry"; reason: string; retry_at_ms?: number }
  | { outcome: "dead"; reason: string };

/**
 * Handles one message. A handler may also carry `batch`, which the worker then calls once with
 * every claimed message of its topic (so their records share a transaction); it answers one
 * outcome per message, in order, and throwing counts as `retry` for all of them.
 */
export type OutboxHandler = ((message: OutboxMessage) => Promise<HandlerOutcome | undefined>) & {
  batch?: (messages: OutboxMessage[]) => Promise<HandlerOutcome[]>;
};

/** A handler whose work is done for several messages at once (see OutboxHandler.batch). */
export function batchHandler(
  batch: (messages: OutboxMessage[]) => Promise<HandlerOutcome[]>,
): OutboxHandler {
  const one = async (message: OutboxMessage) => (await batch([message]))[0];
  return Object.assign(one, { batch });
}
