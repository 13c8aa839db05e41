import { afterCommit, type Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { marketLimits as L } from "./limits.ts";
import type { Attachment, MarketOrder, Message, MessageKind, Thread } from "./model.ts";
import { marketProblems } from "./problems.ts";
import { createThreadSignals, threadFrames } from "./thread-stream.ts";
import * as store from "./threads-store.ts";

/** The author id of messages the hub writes itself (terms, deadlines, competitor cancels). */
export const SYSTEM_AUTHOR = "system";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** The millisecond a time-ordered id (`msg_` + ULID) was made at. */
function msOfId(id: string): number {
  let ms = 0;
  for (const c of id.slice(id.indexOf("_") + 1, id.indexOf("_") + 11)) {
    ms = ms * 32 + CROCKFORD.indexOf(c);
  }
  return ms;
}

/**
 * One shared thread per order; messages are append-only and read with cursors. Within a thread,
 * message ids grow in commit order, so a reader that saw id X never misses a later message by
 * reading `id > X` (the thread streams rely on it).
 */
export function createThreads(deps: { clock: Clock }) {
  const { clock } = deps;
  const signals = createThreadSignals();
  let streams_open = 0;

  async function create(tx: Executor, order: MarketOrder): Promise<Thread> {
    const now_ms = clock.now_ms();
    const thread: Thread = {
      id: newId("thr", now_ms),
      order_id: order.id,
      buyer_id: order.buyer_id,
      seller_id: order.seller_id,
      messages: 0,
      created_at_ms: now_ms,
      last_message_at_ms: now_ms,
    };
    await store.insertThread(tx, thread);
    return thread;
  }

  async function get(ex: Executor, id: string): Promise<Thread> {
    const thread = await store.getThread(ex, id);
    if (!thread) throw new Problem(marketProblems.MARKET_THREAD_NOT_FOUND, `no thread ${id}`);
    return thread;
  }

  async function ofOrder(ex: Executor, order_id: string): Promise<Thread> {
    const thread = await store.threadOfOrder(ex, order_id);
    if (!thread)
      throw new Problem(marketProblems.MARKET_THREAD_NOT_FOUND, `order ${order_id} has no thread`);
    return thread;
  }

  async function post(
    tx: Executor,
    thread: Thread,
    m: { author_id: string; kind: MessageKind; body: string; attachments?: Attachment[] },
  ): Promise<Message> {
    const now_ms = clock.now_ms();
    await store.bumpThread(tx, thread.id, now_ms);
    // Under the thread's row lock: above every committed id even when clocks differ.
    const last = await store.lastMessageId(tx, thread.id);
    let id = newId("msg", now_ms);
    if (last !== null && id <= last) id = newId("msg", msOfId(last) + 1);
    const message: Message = {
      id,
      thread_id: thread.id,
      author_id: m.author_id,
      kind: m.kind,
      body: m.body,
      attachments: m.attachments ?? [],
      created_at_ms: now_ms,
    };
    await store.insertMessage(tx, message);
    afterCommit(tx, () => signals.wake(thread.id));
    return message;
  }

  /** A page of messages, oldest first; the cursor is the last message id seen. */
  async function list(
    ex: Executor,
    thread_id: string,
    f: { after: string | null; kind?: MessageKind },
    limit: number,
  ): Promise<{ items: Message[]; next_cursor: string | null }> {
    const rows = await store.listMessages(ex, thread_id, f, limit + 1);
    const items = rows.slice(0, limit);
    return { items, next_cursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * Opens a live stream of a thread's messages after `after` (a message id; null: after the
   * newest one now). MARKET_THREAD_STREAMS_BUSY past `thread_streams_max` open streams in this
   * process. `close` frees the slot and ends the stream at once; it is safe to call twice.
   */
  async function openStream(
    ex: Executor,
    thread: Thread,
    after: string | null,
    toData: (m: Message) => unknown,
  ): Promise<{ frames: AsyncGenerator<string>; close: () => void }> {
    if (streams_open >= L.thread_streams_max) {
      throw new Problem(
        marketProblems.MARKET_THREAD_STREAMS_BUSY,
        "too many thread streams are open; retry later",
        { headers: { "retry-after": String(Math.ceil(L.thread_retry_ms / 1000)) } },
      );
    }
    streams_open += 1; // the slot is taken before any await, so the bound holds under load
    const abort = new AbortController();
    const close = () => {
      if (abort.signal.aborted) return;
      abort.abort();
      streams_open -= 1;
    };
    let start: string;
    try {
      start = after ?? (await store.lastMessageId(ex, thread.id)) ?? "";
    } catch (error) {
      close();
      throw error;
    }
    const deps = { clock, signals, abort: abort.signal, toData };
    const frames = (async function* () {
      try {
        yield* threadFrames(ex, thread.id, start, deps);
      } finally {
        close();
      }
    })();
    return { frames, close };
  }

  return { create, get, ofOrder, post, list, openStream, streamsOpen: () => streams_open };
}

export type Threads = ReturnType<typeof createThreads>;
