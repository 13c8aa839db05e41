/** Bounds of one pipeline and of its job, with units in the names (TigerStyle). */
export const pipelineLimits = {
  /** Nodes one pipeline may have. */
  nodes_max: 32,
  /** Steps of one pipeline that run at once (independent branches in parallel). */
  concurrency_max: 4,
  /** Characters of a node id, a product id and a capability id. */
  node_id_chars_max: 40,
  product_id_chars_max: 80,
  capability_id_chars_max: 60,
  /** Characters of one `input_from` reference (`<node>#/json/pointer`). */
  pointer_chars_max: 200,
  /** Fields one node may fill by reference (the object form of `input_from`). */
  input_fields_from_max: 16,
  /** Longest error text a step keeps. */
  error_chars_max: 500,
  /** Pipelines with more nodes than this always answer 202 and run as a job. */
  sync_nodes_max: 8,
  /** How long a synchronous request waits for its job before answering 202 instead. */
  sync_wait_ms_max: 20_000,
  /** A runner owns a job for this long unless it renews; then another process may resume it. */
  lease_ms: 60_000,
  /** How often a runner renews its lease while a step is in flight. */
  lease_renew_interval_ms: 15_000,
  /** After this long a job starts no new step; what did not run is skipped and refunded. */
  deadline_ms: 60 * 60 * 1000,
  /** Jobs the resume sweep claims per pass. */
  resume_batch_max: 10,
  /** Server-Sent Events: poll interval, keep-alive comment interval, longest stream. */
  events_poll_interval_ms: 100,
  events_keepalive_interval_ms: 15_000,
  events_stream_ms_max: 5 * 60 * 1000,
  /** A job access token (key-less x402 payers) lives this long past the job's deadline. */
  job_token_ttl_after_deadline_ms: 24 * 60 * 60 * 1000,
  /** Random bytes of a job access token (≥ 16: 128 bits). */
  job_token_bytes: 32,
  /** Events one read of a job's log returns (a job writes at most 2 per node plus 1). */
  events_page_max: 100,
} as const;
