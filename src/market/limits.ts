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
} as const;
