/**
 * Bounds of peac.txt handling (upstream PEAC-TXT.md §6 plus our own), units in the names.
 * Candidates for kernel/limits.ts once the lead moves them there.
 */
export const policyLimits = {
  /** Largest peac.txt accepted, in UTF-8 bytes (256 KiB). */
  document_bytes_max: 262_144,
  /** Deepest nesting of mappings and sequences; the top-level mapping is depth 1. */
  depth_max: 8,
  /** Longest sequence anywhere in the document. */
  array_items_max: 1000,
  /** Longest string (key or value), in UTF-8 bytes (64 KiB). */
  string_bytes_max: 65_536,
  /** Deadline for fetching a peac.txt, redirects included (upstream: 5–10 s). */
  fetch_timeout_ms: 10_000,
  /** Most fractional digits a price may carry ("$0.000001/request" has 6). */
  price_decimals_max: 12,
  /** Most digits in a count (rate limit, free quota, daily limit); keeps counts exact. */
  count_digits_max: 15,
} as const;
