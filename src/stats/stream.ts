import type { Executor } from "../db/db.ts";
import { statsLimits as L } from "./limits.ts";
import { type LiveCursor, livePage } from "./live.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One Server-Sent Event frame; the data is compact JSON, so it is always one line. */
export function sseFrame(e: { id?: string; type: string; data: unknown }): string {
  return `${e.id ? `id: ${e.id}\n` : ""}event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

export interface StreamDeps {
  now_ms: () => number;
  /** Aggregate totals (public, summed per asset) sent as `totals` events without an id. */
  totals: () => Promise<unknown>;
  /** False once the client went away: the stream stops polling. */
  open: () => boolean;
}

/**
 * The live feed as SSE frames: `totals` first, then every invocation, settlement and market
 * event after the cursor as the database shows them (so events of every hub process sharing it),
 * `totals` again every `live_totals_interval_ms`, until `live_stream_ms_max`.
 */
export async function* liveFrames(
  ex: Executor,
  start: LiveCursor,
  deps: StreamDeps,
): AsyncGenerator<string> {
  const started_ms = deps.now_ms();
  let cursor = start;
  let totals_ms = started_ms;
  let quiet_since_ms = started_ms;
  yield `retry: ${L.live_retry_ms}\n\n`;
  yield sseFrame({ type: "totals", data: await deps.totals() });
  while (deps.open() && deps.now_ms() - started_ms < L.live_stream_ms_max) {
    const page = await livePage(ex, cursor, deps.now_ms());
    cursor = page.cursor;
    for (const e of page.events) yield sseFrame({ id: e.cursor, type: e.type, data: e.data });
    if (page.events.length > 0) quiet_since_ms = deps.now_ms();
    if (deps.now_ms() - totals_ms >= L.live_totals_interval_ms) {
      totals_ms = deps.now_ms();
      yield sseFrame({ type: "totals", data: await deps.totals() });
    } else if (deps.now_ms() - quiet_since_ms >= L.live_keepalive_interval_ms) {
      quiet_since_ms = deps.now_ms();
      yield ": keep-alive\n\n";
    }
    if (page.events.length < 1) await sleep(L.live_poll_interval_ms);
  }
}
