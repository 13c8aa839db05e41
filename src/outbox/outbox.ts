import type { Database, Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { limits } from "../kernel/limits.ts";
import type { Logger } from "../kernel/logger.ts";
import type { BatchProgress, HandlerOutcome, OutboxHandler, OutboxMessage } from "./model.ts";
import * as store from "./store.ts";

export interface OutboxDeps {
  clock: Clock;
}

/** Writing side of the outbox: enqueue inside the caller's transaction. */
export function createOutbox(deps: OutboxDeps) {
  const { clock } = deps;

  /**
   * Enqueues a message (due now, or at `due_at_ms` for a timed event). With a `dedupe_key`, a
   * second enqueue of the same key is a no-op that returns the first message.
   */
  async function enqueue(
    tx: Executor,
    spec: {
      topic: string;
      payload: Record<string, unknown>;
      due_at_ms?: number;
      dedupe_key?: string;
    },
  ): Promise<OutboxMessage> {
    const now_ms = clock.now_ms();
    const message: OutboxMessage = {
      id: newId("obx", now_ms),
      topic: spec.topic,
      payload: spec.payload,
      state: "pending",
      attempts: 0,
      due_at_ms: spec.due_at_ms ?? now_ms,
      dedupe_key: spec.dedupe_key ?? null,
      last_error: null,
      created_at_ms: now_ms,
    };
    if (await store.insert(tx, message)) return message;
    const existing = spec.dedupe_key ? await store.byDedupeKey(tx, spec.dedupe_key) : null;
    if (!existing) throw new Error("outbox insert lost without a dedupe twin");
    return existing;
  }

  /** Cancels a pending timed event by its dedupe key (a deadline that no longer applies). */
  async function cancel(tx: Executor, dedupe_key: string): Promise<boolean> {
    return store.cancel(tx, dedupe_key, clock.now_ms());
  }

  /**
   * Finishes leased messages as done in the caller's transaction, for a handler that records
   * its results and its messages in one commit (it then reports them `recorded`).
   */
  async function finish(tx: Executor, ids: readonly string[]): Promise<void> {
    await store.finishDone(tx, ids, clock.now_ms());
  }

  return {
    enqueue,
    cancel,
    finish,
    get: store.get,
    byDedupeKey: store.byDedupeKey,
    countByState: store.countByState,
  };
}

export type Outbox = ReturnType<typeof createOutbox>;

/** The delay before attempt `attempts + 1`, with ±jitter so retries do not stampede. */
export function backoffDelay_ms(attempts: number, random: () => number = Math.random): number {
  const table = limits.outbox_backoff_ms;
  const base = table[Math.min(Math.max(attempts, 1), table.length) - 1] ?? 60_000;
  const jitter = (random() * 2 - 1) * limits.outbox_backoff_jitter_ratio;
  return Math.round(base * (1 + jitter));
}

export interface WorkerDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, OutboxHandler>;
  batch_size?: number;
  /** Messages `pump` keeps in hand at most (several batches). */
  in_flight_max?: number;
  lease_ms?: number;
  attempts_max?: number;
}

/** Delivers due outbox messages to their topic's handler, with retry bookkeeping. */
export function createOutboxWorker(deps: WorkerDeps) {
  const { db, clock, logger } = deps;
  const batch_size = deps.batch_size ?? limits.outbox_batch_size;
  const in_flight_max = Math.max(batch_size, deps.in_flight_max ?? limits.outbox_in_flight_max);
  const lease_ms = deps.lease_ms ?? limits.outbox_lease_ms;
  const attempts_max = deps.attempts_max ?? limits.outbox_attempts_max;

  const retryOf = (error: unknown): HandlerOutcome => ({
    outcome: "retry",
    reason: error instanceof Error ? error.message : String(error),
  });

  /**
   * Claimed messages as the handlers take them: by topic, in claim order, at most the handler's
   * batch size at once.
   */
  function batchesOf(claimed: readonly OutboxMessage[]): [string, OutboxMessage[]][] {
    const byTopic = new Map<string, OutboxMessage[]>();
    for (const m of claimed) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    const out: [string, OutboxMessage[]][] = [];
    for (const [topic, messages] of byTopic) {
      const size = deps.handlers[topic]?.batch_size_max ?? batch_size;
      for (let i = 0; i < messages.length; i += size)
        out.push([topic, messages.slice(i, i + size)]);
    }
    return out;
  }

  /** Runs one topic's claimed messages through its handler (all at once when it batches). */
  async function handle(
    topic: string,
    messages: OutboxMessage[],
    progress: BatchProgress = { effectsDone: () => {} },
  ): Promise<HandlerOutcome[]> {
    const handler = deps.handlers[topic];
    if (!handler) return messages.map(() => ({ outcome: "done" }));
    if (handler.batch) {
      try {
        const outcomes = await handler.batch(messages, progress);
        return messages.map((_, i) => outcomes[i] ?? retryOf("no outcome from the batch"));
      } catch (error) {
        return messages.map(() => retryOf(error));
      }
    }
    return Promise.all(
      messages.map(async (m) => {
        try {
          return (await handler(m)) ?? { outcome: "done" };
        } catch (error) {
          return retryOf(error);
        }
      }),
    );
  }

  /**
   * Records outcomes: every `done` in one statement, the rest (rare) one by one; `recorded` ones
   * the handler has finished itself.
   */
  async function settle(messages: OutboxMessage[], outcomes: HandlerOutcome[]): Promise<void> {
    const now_ms = clock.now_ms();
    const done: string[] = [];
    for (const [i, message] of messages.entries()) {
      const outcome = outcomes[i] ?? retryOf("no outcome");
      if (outcome.outcome === "recorded") continue;
      if (outcome.outcome === "done") {
        done.push(message.id);
      } else if (outcome.outcome === "wait") {
        await store.reschedule(db.kysely, message.id, outcome.retry_at_ms, outcome.reason, {
          attempt_back: true,
        });
      } else if (outcome.outcome === "dead" || message.attempts >= attempts_max) {
        await store.finish(db.kysely, message.id, "dead", now_ms, outcome.reason);
        logger.warn({ id: message.id, topic: message.topic }, "outbox message gave up");
      } else {
        const due = outcome.retry_at_ms ?? now_ms + backoffDelay_ms(message.attempts);
        await store.reschedule(db.kysely, message.id, due, outcome.reason);
      }
    }
    await store.finishDone(db.kysely, done, now_ms);
  }

  /** Claims one batch and delivers it; returns how many messages were handled. */
  async function runOnce(): Promise<number> {
    const claimed = await store.claimDue(db.kysely, db.dialect, {
      now_ms: clock.now_ms(),
      lease_ms,
      limit: batch_size,
      topics: Object.keys(deps.handlers),
    });
    await Promise.all(
      batchesOf(claimed).map(async ([topic, messages]) =>
        settle(messages, await handle(topic, messages)),
      ),
    );
    return claimed.length;
  }

  /*
   * Background delivery keeps up to `in_flight_max` messages whose effects are under way (webhook
   * POSTs in flight or waiting for a connection), claiming more as soon as there is room for a
   * batch rather than when the previous batch has finished: one slow batch (a webhook receiver
   * that times out) holds back only its own messages. A batch whose effects are done no longer
   * takes room while it records its results (round trips that would otherwise leave the
   * connections idle); as many again may be recording at once. A claim takes all the room there
   * is, so while claims are slow each one brings more.
   */
  let inFlight = 0;
  let held = 0;
  const held_max = 2 * in_flight_max;
  const handling = new Set<Promise<void>>();
  let roomFreed: (() => void) | null = null;

  function wake(): void {
    const resolve = roomFreed;
    roomFreed = null;
    resolve?.();
  }

  /** Hands one batch of a topic to its handler without waiting for it. */
  function start(topic: string, messages: OutboxMessage[]): void {
    let effectsDone = false;
    const release = () => {
      if (effectsDone) return;
      effectsDone = true;
      inFlight -= messages.length;
      wake();
    };
    const work = handle(topic, messages, { effectsDone: release })
      .then((outcomes) => settle(messages, outcomes))
      // A lease that ends unrecorded is claimed again later: nothing is lost, only delayed.
      .catch((error: unknown) => logger.error({ err: error }, "outbox batch failed"))
      .finally(() => {
        release();
        held -= messages.length;
        handling.delete(work);
        wake();
      });
    handling.add(work);
  }

  /**
   * Claims what there is room for (waiting for room for a batch first when there is none) and
   * hands it over in its handlers' batches without waiting for them; returns how many it claimed
   * (the task loop runs it again at once while there is work). `idle()` waits for what is in hand.
   */
  async function pump(): Promise<number> {
    while (held > 0 && (inFlight + batch_size > in_flight_max || held + batch_size > held_max)) {
      await new Promise<void>((resolve) => {
        roomFreed = resolve;
      });
    }
    const claimed = await store.claimDue(db.kysely, db.dialect, {
      now_ms: clock.now_ms(),
      lease_ms,
      limit: Math.min(in_flight_max - inFlight, held_max - held),
      topics: Object.keys(deps.handlers),
    });
    inFlight += claimed.length;
    held += claimed.length;
    for (const [topic, messages] of batchesOf(claimed)) start(topic, messages);
    return claimed.length;
  }

  /** Resolves once every batch `pump` handed over has been handled and recorded. */
  async function idle(): Promise<void> {
    while (handling.size > 0) await Promise.allSettled([...handling]);
  }

  /** Runs batches until nothing is due (tests and shutdown drains). */
  async function drain(rounds_max = 100): Promise<number> {
    let total = 0;
    for (let i = 0; i < rounds_max; i++) {
      const n = await runOnce();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  return { runOnce, drain, pump, idle };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
