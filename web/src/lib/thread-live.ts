/**
 * Live thread updates: the hub's Server-Sent Events stream (GET /api/market/threads/:id/events,
 * authorized by the session cookie), with polling as the fallback when the stream fails.
 */

/** What a thread message needs for merging. */
export interface HasId {
  id: string;
}

/** Messages from a page and from the stream, once each, oldest first (ids are time-ordered). */
export function mergeMessages<T extends HasId>(page: readonly T[], live: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const m of page) byId.set(m.id, m);
  for (const m of live) if (!byId.has(m.id)) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Errors in a row (without a frame or an open in between) before the console gives up. */
export const STREAM_ERRORS_MAX = 3;

/** How the thread view gets news: the stream, or polling after the stream failed. */
export type LiveMode = "connecting" | "live" | "polling";

export interface StreamCallbacks<T> {
  onMessage: (message: T) => void;
  /** The stream (re)opened: messages posted while it was down may need a reload. */
  onOpen: () => void;
  onMode: (mode: LiveMode) => void;
}

/** The part of EventSource the console uses, so tests can hand in a fake one. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: EventSourceLike, ev: Event) => unknown) | null;
  onerror: ((this: EventSourceLike, ev: Event) => unknown) | null;
  addEventListener(type: "message", listener: (ev: { data: string }) => void): void;
  close(): void;
}

const CLOSED = 2;

/**
 * Follows a thread's stream. The browser reconnects by itself after a dropped connection (with
 * Last-Event-ID); a refusal (404, 503 …) closes the stream, and so do `STREAM_ERRORS_MAX` errors
 * in a row: then the mode becomes `polling` and the caller polls. Returns the stop function.
 */
export function followThread<T>(
  url: string,
  callbacks: StreamCallbacks<T>,
  open?: (url: string) => EventSourceLike,
): () => void {
  const make =
    open ??
    (typeof EventSource === "undefined"
      ? null
      : (u: string) => new EventSource(u, { withCredentials: true }) as unknown as EventSourceLike);
  if (!make) {
    callbacks.onMode("polling");
    return () => {};
  }
  let errors = 0;
  let stopped = false;
  callbacks.onMode("connecting");
  const source = make(url);
  source.onopen = () => {
    errors = 0;
    callbacks.onMode("live");
    callbacks.onOpen();
  };
  source.addEventListener("message", (ev) => {
    errors = 0;
    try {
      callbacks.onMessage(JSON.parse(ev.data) as T);
    } catch {
      // A frame that is not JSON is not a message of ours; the next reload shows the truth.
    }
  });
  source.onerror = () => {
    errors += 1;
    if (source.readyState === CLOSED || errors >= STREAM_ERRORS_MAX) {
      source.close();
      if (!stopped) callbacks.onMode("polling");
    }
  };
  return () => {
    stopped = true;
    source.close();
  };
}
