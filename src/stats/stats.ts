import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import { statsLimits as L } from "./limits.ts";
import { cursorAt, decodeCursor } from "./live.ts";
import type { FloorStats, ServiceHealth, ServiceRecord } from "./model.ts";
import { statsProblems } from "./problems.ts";
import * as store from "./store.ts";
import { liveFrames } from "./stream.ts";

export interface StatsDeps {
  clock: Clock;
}

/** The Factory Floor: floor snapshots, per-service health and the live feed. */
export function createStats(deps: StatsDeps) {
  const { clock } = deps;
  let cached: { at_ms: number; value: Promise<FloorStats> } | null = null;
  let streams_open = 0;

  async function computeFloor(ex: Executor): Promise<FloorStats> {
    const now_ms = clock.now_ms();
    const window_start_ms = now_ms - L.floor_window_ms;
    const counts = await store.floorCounts(ex);
    const paid = await store.settlements(ex);
    const recent = await store.recentWindow(ex, window_start_ms);
    const ok = recent.invocations.succeeded ?? 0;
    const bad = recent.invocations.failed ?? 0;
    return {
      generated_at_ms: now_ms,
      window_start_ms,
      ...counts,
      settlements: paid.counts,
      spend: paid.spend,
      window: { invocations: recent.invocations, error_rate: store.rateOf(bad, ok + bad) },
      top_services: recent.top_services,
    };
  }

  /**
   * A snapshot of the floor, shared by every caller for `floor_cache_ms` (one computation in
   * flight at a time), so a busy dashboard cannot make the hub scan its tables per request.
   */
  function floor(ex: Executor): Promise<FloorStats> {
    const now_ms = clock.now_ms();
    if (cached && now_ms - cached.at_ms < L.floor_cache_ms) return cached.value;
    const value = computeFloor(ex);
    cached = { at_ms: now_ms, value };
    value.catch(() => {
      if (cached?.value === value) cached = null;
    });
    return value;
  }

  /**
   * Recomputes the per-service health summary over `health_window_ms` when due (one process per
   * interval wins the claim); runs in the caller's transaction. Null when not due.
   */
  async function refreshHealth(tx: Executor, options: { force?: boolean } = {}) {
    const now_ms = clock.now_ms();
    if (!(await store.claimHealthRefresh(tx, now_ms, options.force === true))) return null;
    const since_ms = now_ms - L.health_window_ms;
    const items = await store.computeHealth(tx, since_ms);
    await store.replaceHealth(tx, items, since_ms, now_ms);
    return items.length;
  }

  /** Health by service name, for the named services that have a summary. */
  async function health(ex: Executor, names: string[]): Promise<Map<string, ServiceHealth>> {
    const unique = [...new Set(names)];
    return new Map((await store.healthOf(ex, unique)).map((h) => [h.service, h]));
  }

  /**
   * Opens a live feed from Last-Event-ID (or from now): STATS_CURSOR_INVALID for a malformed
   * id, STATS_STREAMS_BUSY past `live_streams_max` open streams in this process. `close` frees
   * the slot and stops polling; it is safe to call more than once.
   */
  function openLive(
    ex: Executor,
    last_event_id: string | null,
    totals: () => Promise<unknown>,
  ): { frames: AsyncGenerator<string>; close: () => void } {
    const start = last_event_id ? decodeCursor(last_event_id) : cursorAt(clock.now_ms());
    if (!start) {
      throw new Problem(statsProblems.STATS_CURSOR_INVALID, "Last-Event-ID is not a feed cursor");
    }
    if (streams_open >= L.live_streams_max) {
      throw new Problem(statsProblems.STATS_STREAMS_BUSY, "the live feed is full; retry later", {
        headers: { "retry-after": String(Math.ceil(L.live_retry_ms / 1000)) },
      });
    }
    streams_open += 1;
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      streams_open -= 1;
    };
    const frames = (async function* () {
      try {
        yield* liveFrames(ex, start, { now_ms: () => clock.now_ms(), totals, open: () => open });
      } finally {
        close();
      }
    })();
    return { frames, close };
  }

  /** A service's runs, latency percentiles and revenue since a time (the caller authorizes). */
  function serviceRecord(
    ex: Executor,
    service: { name: string; provider_id: string },
    since_ms: number,
  ): Promise<ServiceRecord> {
    return store.serviceRecord(ex, service, since_ms);
  }

  return {
    floor,
    refreshHealth,
    health,
    serviceRecord,
    openLive,
    streamsOpen: () => streams_open,
  };
}

export type Stats = ReturnType<typeof createStats>;
