/**
 * Every bound agx enforces, in one place, with units in the names (TigerStyle).
 * Change a limit here, never inline.
 */
export const limits = {
  /** Prepared SQLite statements kept for reuse, by SQL text (most recently used). */
  sqlite_statement_cache_max: 512,
  /** Argument shapes (row counts, defined keys) one compiled query keeps compiled SQL for. */
  compiled_query_shapes_max: 32,
  /** How often the background checkpointer copies the SQLite WAL into the database file. */
  sqlite_checkpoint_interval_ms: 50,
  /**
   * WAL pages after which the serving connection checkpoints by itself (SQLite's default is
   * 1000): the bound on the WAL (≈ 40 MB) when the background checkpointer cannot catch up.
   */
  sqlite_wal_autocheckpoint_pages: 10_000,
  /**
   * How much of the database file SQLite reads through a memory map instead of read() calls
   * into its own page cache: a search touches a few hundred scattered rows, and each copied page
   * cost more than the row it held. The pages are the OS page cache's, shared, not the heap.
   */
  sqlite_mmap_bytes: 1024 * 1024 * 1024,
  /** Largest request body the HTTP server reads. */
  http_body_bytes_max: 1_048_576,
  /** Time a request may take before the server answers 503. */
  http_request_timeout_ms: 30_000,
  /** Time graceful shutdown waits for in-flight requests before closing sockets. */
  shutdown_grace_ms: 10_000,

  /** Default and largest page sizes for list endpoints. */
  page_size_default: 50,
  page_size_max: 200,

  /** Idempotency-Key: longest accepted key, how long a result is kept, how long a reservation holds. */
  idempotency_key_chars_max: 255,
  idempotency_retention_ms: 24 * 60 * 60 * 1000,
  idempotency_lock_ms: 60_000,

  /** Registration rate limit per source IP (Pact: 20 per hour). */
  register_per_ip_per_window_max: 20,
  register_window_ms: 60 * 60 * 1000,

  /** API keys. */
  api_key_random_bytes: 32,
  api_key_visible_prefix_chars: 12,
  api_keys_per_principal_max: 50,
  /**
   * Verified keys a process remembers (by secret hash) and how long it trusts one without reading
   * it again: a key revoked on another node stops working there within this time; the revoking
   * node forgets it at once.
   */
  api_key_cache_entries_max: 1_024,
  api_key_cache_ttl_ms: 2_000,
  /** Least time between two writes of one key's last-used time (per process, and in SQL). */
  api_key_touch_interval_ms: 60_000,
  /** Keys whose last write of last-used time a process remembers. */
  api_key_touch_tracked_max: 10_000,

  /** Principals. */
  handle_chars_min: 3,
  handle_chars_max: 40,
  display_name_chars_max: 120,
  url_chars_max: 2048,

  /** Ledger. */
  amount_minor_max: 9_223_372_036_854_775_807n,
  asset_decimals_max: 12,
  transfers_per_batch_max: 100,
  transfer_id_chars_max: 64,
  transfer_code_chars_max: 64,
  metadata_json_bytes_max: 4096,
  hold_timeout_ms_max: 90 * 24 * 60 * 60 * 1000,

  /** Catalogue and quotes. */
  quote_ttl_ms: 5 * 60 * 1000,
  search_candidates_max: 200,
  /** Full-text matches scored per search pass (newest first); exact below it (decision 0005). */
  search_scan_max: 400,
  /** Longer words a query word may stand for in a prefix pass before FTS5 expands it itself. */
  search_prefix_words_max: 16,
  /** How long SQLite search trusts its cached BM25 statistics (documents, words' counts). */
  search_term_stats_ttl_ms: 60_000,
  /** Words whose document counts SQLite search keeps cached. */
  search_term_stats_max: 20_000,
  /**
   * SQLite search rows (a service's hit fields and words, ~1 KiB each) kept in memory by rid:
   * enough for the newest matches of a few hundred common words at once.
   */
  search_row_cache_max: 50_000,
  search_results_max: 50,
  search_query_chars_max: 500,
  search_tokens_max: 16,
  skill_operations_max: 32,
  schema_json_bytes_max: 65_536,
  description_chars_max: 4000,
  tags_per_entry_max: 32,
  endpoints_per_service_max: 8,
  /** Parsed service and skill versions kept in process by id (rows immutable but for flags). */
  catalog_version_cache_max: 1_000,

  /** Orders, execution and channels. */
  execution_timeout_ms: 30_000,
  execution_result_bytes_max: 1_048_576,
  /** A delivered order the buyer neither confirms nor disputes is confirmed after this. */
  order_auto_confirm_ms: 72 * 60 * 60 * 1000,
  /** A paid order nobody executes is cancelled and refunded after this. */
  order_ready_ttl_ms: 24 * 60 * 60 * 1000,
  channel_ttl_ms: 24 * 60 * 60 * 1000,
  hub_fee_bps_max: 5_000,

  /** Outbox and scheduler. */
  outbox_batch_size: 50,
  /**
   * Messages the background worker keeps in hand across batches (webhook POSTs in flight or
   * queued for a connection, and batches being read or recorded): enough that the sockets stay
   * busy while a few batches wait on database round trips.
   */
  outbox_in_flight_max: 400,
  outbox_lease_ms: 60_000,
  outbox_poll_interval_ms: 500,
  outbox_attempts_max: 6,
  /** Retry delays after attempt n (Pact's 1m / 5m / 30m / 2h / 12h), jittered by ±15 %. */
  outbox_backoff_ms: [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000],
  outbox_backoff_jitter_ratio: 0.15,
  sweep_interval_ms: 5_000,

  /** EIP-191 proof checks: recovery threads at most, their queue, keys cached per thread. */
  eip191_workers_max: 2,
  eip191_queue_max: 1024,
  eip191_key_cache_max: 64,
  /** Below this many proofs per second checks run inline and no thread is started. */
  eip191_inline_per_second_max: 20,

  /** Hot-path caches of immutable rows (ledger account ids and assets), entries at most. */
  ledger_account_cache_max: 100_000,
  /** How long an invoke answer reuses its capability's suggested next calls (a hint, not data). */
  invoke_suggestions_cache_ms: 10_000,
  invoke_suggestions_cache_max: 1_000,

  /**
   * JSON request bodies: deepest nesting accepted. Deeper bodies would overflow the stack of
   * recursive readers (canonical JSON, schema validation) and no route needs them.
   */
  http_json_depth_max: 64,
} as const;

export type Limits = typeof limits;
