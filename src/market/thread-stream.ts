import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { marketLimits as L } from "./limits.ts";
import type { Message } from "./model.ts";
import * as store from "./threads-store.ts";

/** One Server-Sent Event frame; the data is compact JSON, so it is always one line. */
export function sseFrame(e: { id?: string; type: string; data: unknown }): string {
  return `${e.id ? `id: ${e.id}\n` : ""}event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * Wake-ups of open thread streams in this process, by thread. A post wakes its thread's streams
 * once it commits; streams of other processes find it at their next poll.
 */
export function createThreadSignals() {
  const waiting = new Map<string, Set<() => void>>();

  /** Wakes every stream of a thread that is waiting. */
  function wake(thread_id: string): void {
    for (const resume of waiting.get(thread_id) ?? []) resume();
  }

  /**
   * Resolves on a wake-up of the thread, after `timeout_ms`, or when `abort` fires, whichever
   * comes first; it never rejects.
   */
  function wait(thread_id: string, timeout_ms: number, abort: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = waiting.get(thread_id) ?? new Set<() => void>();
      waiting.set(thread_id, set);
      const resume = () => {
        clearTimeout(timer);
        abort.removeEventListener("abort", resume);
        set.delete(resume);
        if (set.size === 0 && waiting.get(thread_id) === set) waiting.delete(thread_id);
        resolve();
      };
      const timer = setTimeout(resume, timeout_ms);
      set.add(resume);
      if (abort.aborted) resume();
      else abort.addEventListener("abort", resume, { once: true });
    });
  }

  return { wake, wait, waitingThreads: () => waiting.size };
}

export type ThreadSignals = ReturnType<typeof createThreadSignals>;

export interface ThreadStreamDeps {
  clock: Clock;
  signals: ThreadSignals;
  /** Aborts when the client went away: the stream stops at once. */
  abort: AbortSignal;
  /** A message as the wire shows it. */
  toData: (m: Message) => unknown;
}

/**
 * A thread's new messages as SSE frames (`event: message`, `id:` the message id), read after
 * `after` (a message id, or "" for the whole thread) in id order. Between reads it sleeps until
 * a post in this process wakes it or `thread_poll_interval_ms` passes (posts made by other
 * processes sharing the database); a comment keeps idle connections open; it ends after
 * `thread_stream_ms_max` and the client resumes with Last-Event-ID.
 */
export async function* threadFrames(
  ex: Executor,
  thread_id: string,
  after: string,
  deps: ThreadStreamDeps,
): AsyncGenerator<string> {
  const { clock, abort } = deps;
  const started_ms = clock.now_ms();
  let quiet_since_ms = started_ms;
  let cursor = after;
  yield `retry: ${L.thread_retry_ms}\n\n`;
  while (!abort.aborted && clock.now_ms() - started_ms < L.thread_stream_ms_max) {
    const page = await store.listMessages(
      ex,
      thread_id,
      { after: cursor === "" ? null : cursor },
      L.thread_stream_page_max,
    );
    for (const m of page) {
      cursor = m.id;
      yield sseFrame({ id: m.id, type: "message", data: deps.toData(m) });
    }
    if (page.length > 0) quiet_since_ms = clock.now_ms();
    else if (clock.now_ms() - quiet_since_ms >= L.thread_keepalive_interval_ms) {
      quiet_since_ms = clock.now_ms();
      yield ": keep-alive\n\n";
    }
    if (page.length < L.thread_stream_page_max)
      await deps.signals.wait(thread_id, L.thread_poll_interval_ms, abort);
  }
}
