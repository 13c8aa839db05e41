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

/**
 * What a handler reports. Throwing counts as `retry` with the error as reason. `recorded`: done,
 * and the handler already finished the message (Outbox.finish) in the transaction that wrote its
 * results, so the worker writes nothing more for it. `wait`: nothing failed, the message is
 * simply not due yet (a reconciler waiting for the chain); look again at `retry_at_ms`, without
 * using up one of its attempts.
 */
export type HandlerOutcome =
  | { outcome: "done" }
  | { outcome: "recorded" }
  | { outcome: "retry"; reason: string; retry_at_ms?: number }
  | { outcome: "wait"; reason: string; retry_at_ms: number }
  | { outcome: "dead"; reason: string };

/** What a batch handler may tell the worker before it answers. */
export interface BatchProgress {
  /**
   * The batch's effects on the outside world are over (its POSTs have ended) and only its own
   * records remain: its messages stop counting against the worker's in-flight bound.
   */
  effectsDone(): void;
}

/** A batch handler: one outcome per message, in order (see OutboxHandler). */
export type BatchHandle = (
  messages: OutboxMessage[],
  progress: BatchProgress,
) => Promise<HandlerOutcome[]>;

/**
 * Handles one message. A handler may also carry `batch`, which the worker then calls with the
 * claimed messages of its topic, up to `batch_size_max` at once (the worker's batch size by
 * default), so their records share a transaction; it answers one outcome per message, in order,
 * and throwing counts as `retry` for all of them.
 */
export type OutboxHandler = ((message: OutboxMessage) => Promise<HandlerOutcome | undefined>) & {
  batch?: BatchHandle;
  batch_size_max?: number;
};

/** A handler whose work is done for several messages at once (see OutboxHandler.batch). */
export function batchHandler(
  batch: BatchHandle,
  options: { batch_size_max?: number } = {},
): OutboxHandler {
  const one = async (message: OutboxMessage) =>
    (await batch([message], { effectsDone: () => {} }))[0];
  return Object.assign(one, { batch }, options);
}
