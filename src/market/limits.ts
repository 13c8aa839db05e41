/**
 * Bounds of the market module, with units in the names. They move to kernel/limits.ts when the
 * module is wired into the hub; until then they live here so the module stays self-contained.
 */
export const marketLimits = {
  title_chars_max: 200,
  description_chars_max: 8000,
  category_chars_max: 60,
  tags_per_listing_max: 16,
  tag_chars_max: 40,
  attachments_max: 10,
  attachment_name_chars_max: 200,
  /** Page sizes of feeds, order lists and thread messages. */
  page_size_default: 20,
  page_size_max: 100,
  /** Full-text search of the public feed. */
  search_query_chars_max: 200,
  search_tokens_max: 8,
  message_chars_max: 8000,
  scope_chars_max: 8000,
  proof_text_chars_max: 8000,
  proof_urls_max: 20,
  proof_digests_max: 20,
  reason_chars_max: 2000,
  review_text_chars_max: 4000,
  /** The third rejection of a delivery opens a dispute instead of another round (Pact). */
  rejections_to_dispute: 3,
  /** PROOF_SUBMITTED → REVIEWING and REVIEWING → COMPLETED happen by themselves after 72 h. */
  review_start_after_ms: 72 * 60 * 60 * 1000,
  auto_accept_after_ms: 72 * 60 * 60 * 1000,
  /** Longest evidence window an opener of a dispute may ask for. */
  evidence_window_ms_max: 30 * 24 * 60 * 60 * 1000,
  /** Open negotiations one listing may have; funding one cancels the others in one go. */
  negotiations_per_listing_max: 200,
  /** How many reviews a principal's page shows. */
  recent_reviews_max: 20,
  /** Live thread streams (SSE) this process serves at once; one more is 503 BUSY. */
  thread_streams_max: 64,
  /** A thread stream ends after this long; the client resumes with Last-Event-ID. */
  thread_stream_ms_max: 5 * 60 * 1000,
  /**
   * How often an idle thread stream reads the database: a post in this process wakes it at once,
   * this finds posts made by other processes sharing the database.
   */
  thread_poll_interval_ms: 1_000,
  /** An idle stream sends a comment this often, so proxies keep the connection open. */
  thread_keepalive_interval_ms: 15_000,
  /** What a client waits before reconnecting (SSE `retry:`). */
  thread_retry_ms: 2_000,
  /** Messages one read of a thread stream sends at most. */
  thread_stream_page_max: 100,
} as const;
