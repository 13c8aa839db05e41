/**
 * Bounds of the webhooks module, with units in the names. They move to kernel/limits.ts when the
 * module is wired into the hub; until then they live here so the module stays self-contained.
 */
export const webhookLimits = {
  endpoints_per_owner_max: 20,
  event_types_per_endpoint_max: 32,
  description_chars_max: 500,
  /** Standard Webhooks: `whsec_` + base64 of 24–64 random bytes. */
  secret_random_bytes: 32,
  /** Attempts per delivery: the first and five retries (Pact's `x-webhook-config`). */
  attempts_max: 6,
  /** Waits after attempt n failed: 1 m, 5 m, 30 m, 2 h, 12 h; jittered by ±15 %. */
  retry_schedule_ms: [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000],
  retry_jitter_ratio: 0.15,
  /** A receiver's Retry-After is honoured up to this long. */
  retry_after_max_ms: 24 * 60 * 60 * 1000,
  /** One call to a receiver; well below the outbox lease so a slow one is never run twice. */
  request_timeout_ms: 10_000,
  /** How much of a receiver's answer is read; receivers should answer with a short body. */
  response_bytes_max: 65_536,
  /** Largest event body sent; events carry ids and states, not documents. */
  payload_bytes_max: 65_536,
  /** How long the previous secret still signs after a rotation, by default and at most. */
  rotation_overlap_default_ms: 24 * 60 * 60 * 1000,
  rotation_overlap_max_ms: 7 * 24 * 60 * 60 * 1000,
  /** Deliveries re-queued by one "redeliver all failed" call. */
  redeliver_batch_max: 1000,
  /** Attempts shown with each delivery in a listing. */
  attempts_listed_max: 10,
  /**
   * Attempts the outbox worker hands the delivery handler at once: read in one query, recorded in
   * one commit. Larger batches cost the database less per attempt, but a batch is recorded only
   * once its slowest POST has ended.
   */
  attempts_per_batch_max: 100,
  /** Receivers (scheme, host, port, checked address) whose connections are kept alive. */
  sender_pools_max: 256,
  /** Connections open at once to one receiver (the outbox batch is the real bound). */
  sender_sockets_per_pool_max: 64,
  /** An idle kept-alive connection closes after this, before a receiver's own 5 s timeout. */
  sender_idle_socket_ms: 4_000,
  /**
   * How long a webhook URL's SSRF check (DNS answer and address ranges) is reused before the next
   * send checks it again: short, so a changed DNS answer takes effect within seconds, and
   * connections only ever go to the address the check allowed.
   */
  sender_check_ttl_ms: 5_000,
  /** Webhook URLs whose passed check is kept at once. */
  sender_checks_max: 1024,
  /** Opened (decrypted) endpoint secrets kept in memory, so a send does not decrypt again. */
  opened_secrets_max: 1024,
  page_size_default: 50,
  page_size_max: 200,
} as const;
