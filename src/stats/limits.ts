/** Bounds of the floor statistics, the health summary and the live feed (units in the names). */
export const statsLimits = {
  /** GET /ai-market/stats answers from a per-process snapshot at most this old. */
  floor_cache_ms: 2_000,
  /** The recent window of error rates and top services. */
  floor_window_ms: 24 * 60 * 60 * 1000,
  /** Services listed under `top_services`. */
  top_services_max: 10,
  /** The window of per-service health (success rate, p50 latency) fed to search and manifests. */
  health_window_ms: 30 * 24 * 60 * 60 * 1000,
  /** Finished runs a service needs in the window before its health counts ("no track record"). */
  health_runs_min: 3,
  /** How often one hub process (whichever claims it first) recomputes the health summary. */
  health_refresh_interval_ms: 60_000,
  /** Services one health refresh keeps (the busiest first). */
  health_services_max: 10_000,
  /** Rows one health insert statement writes. */
  health_insert_batch_max: 200,
  /** Live feed streams this process serves at once; one more answers 503 STATS_STREAMS_BUSY. */
  live_streams_max: 32,
  /** A live stream ends after this long; the client resumes with Last-Event-ID. */
  live_stream_ms_max: 5 * 60 * 1000,
  /** How often a live stream polls the database for new rows. */
  live_poll_interval_ms: 500,
  /**
   * Rows younger than this are not read yet: ids are time-ordered, but a transaction that took
   * an id earlier may commit later than one that took a later id. Every write transaction that
   * writes the rows the feed reads is far shorter than this (provider calls run outside them).
   */
  live_commit_lag_ms: 1_000,
  /** Rows one poll reads per source table. */
  live_page_max: 100,
  /** How often a stream sends aggregate totals, and a keep-alive comment when idle. */
  live_totals_interval_ms: 10_000,
  live_keepalive_interval_ms: 15_000,
  /** What a client waits before reconnecting (SSE `retry:`). */
  live_retry_ms: 2_000,
} as const;
