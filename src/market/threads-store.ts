import { sql } from "kysely";
import { type Executor, num, tablesOf } from "../db/db.ts";
import type { Attachment, Message, MessageKind, Thread } from "./model.ts";

type Int = number | bigint;

interface ThreadRow {
  id: string;
  order_id: string;
  buyer_id: string;
  seller_id: string;
  messages: Int;
  created_at_ms: Int;
  last_message_at_ms: Int;
}

interface MessageRow {
  id: string;
  thread_id: string;
  author_id: string;
  kind: string;
  body: string;
  attachments: string;
  created_at_ms: Int;
}

interface ThreadTables {
  market_threads: ThreadRow;
  market_messages: MessageRow;
}

const q = (ex: Executor) => tablesOf<ThreadTables>(ex);

const toThread = (r: ThreadRow): Thread => ({
  ...r,
  messages: num(r.messages),
  created_at_ms: num(r.created_at_ms),
  last_message_at_ms: num(r.last_message_at_ms),
});

const toMessage = (r: MessageRow): Message => ({
  ...r,
  kind: r.kind as MessageKind,
  attachments: JSON.parse(r.attachments) as Attachment[],
  created_at_ms: num(r.created_at_ms),
});

export async function insertThread(ex: Executor, t: Thread): Promise<void> {
  await q(ex).insertInto("market_threads").values(t).execute();
}

export async function getThread(ex: Executor, id: string): Promise<Thread | null> {
  const row = await q(ex)
    .selectFrom("market_threads")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toThread(row) : null;
}

export async function threadOfOrder(ex: Executor, order_id: string): Promise<Thread | null> {
  const row = await q(ex)
    .selectFrom("market_threads")
    .selectAll()
    .where("order_id", "=", order_id)
    .executeTakeFirst();
  return row ? toThread(row) : null;
}

/**
 * Bumps the thread's counters first: the row lock it takes (PostgreSQL) orders every poster of
 * one thread, so a message id taken after it is above every id committed before it.
 */
export async function bumpThread(ex: Executor, thread_id: string, at_ms: number): Promise<void> {
  await q(ex)
    .updateTable("market_threads")
    .set({ messages: sql`messages + 1`, last_message_at_ms: at_ms })
    .where("id", "=", thread_id)
    .execute();
}

/** The newest message id of a thread, or null when it has none. */
export async function lastMessageId(ex: Executor, thread_id: string): Promise<string | null> {
  const row = await q(ex)
    .selectFrom("market_messages")
    .select("id")
    .where("thread_id", "=", thread_id)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Appends a message (after bumpThread, in the same transaction). */
export async function insertMessage(ex: Executor, m: Message): Promise<void> {
  await q(ex)
    .insertInto("market_messages")
    .values({ ...m, attachments: JSON.stringify(m.attachments) })
    .execute();
}

/** Messages oldest first, after a cursor (a message id); `kind` narrows to one kind. */
export async function listMessages(
  ex: Executor,
  thread_id: string,
  f: { after: string | null; kind?: MessageKind },
  limit: number,
): Promise<Message[]> {
  let query = q(ex).selectFrom("market_messages").selectAll().where("thread_id", "=", thread_id);
  if (f.kind) query = query.where("kind", "=", f.kind);
  if (f.after) query = query.where("id", ">", f.after);
  return (await query.orderBy("id").limit(limit).execute()).map(toMessage);
}
