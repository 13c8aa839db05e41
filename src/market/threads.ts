import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import type { Attachment, MarketOrder, Message, MessageKind, Thread } from "./model.ts";
import { marketProblems } from "./problems.ts";
import * as store from "./threads-store.ts";

/** The author id of messages the hub writes itself (terms, deadlines, competitor cancels). */
export const SYSTEM_AUTHOR = "system";

/** One shared thread per order; messages are append-only and read with cursors. */
export function createThreads(deps: { clock: Clock }) {
  const { clock } = deps;

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
    const message: Message = {
      id: newId("msg", now_ms),
      thread_id: thread.id,
      author_id: m.author_id,
      kind: m.kind,
      body: m.body,
      attachments: m.attachments ?? [],
      created_at_ms: now_ms,
    };
    await store.insertMessage(tx, message);
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

  return { create, get, ofOrder, post, list };
}

export type Threads = ReturnType<typeof createThreads>;
