/**
 * Bounds of console sign-in sessions, with units in the names. They live beside the module
 * (like machines/limits.ts) so it stays self-contained.
 */
export const sessionLimits = {
  /** A SIWE nonce may be signed and presented within this long, once. */
  nonce_ttl_ms: 10 * 60_000,
  /** EIP-4361 nonces are alphanumeric; 16 random bytes as 32 hex characters. */
  nonce_random_bytes: 16,
  /** A console session ends this long after sign-in, whatever happens in between. */
  session_ttl_ms: 12 * 60 * 60_000,
  session_token_random_bytes: 32,
  /** Longest SIWE message accepted (EIP-4361 messages are a few hundred characters). */
  siwe_message_chars_max: 4096,
  /** Nonces and sign-in attempts per source address and window. */
  nonces_per_ip_per_window_max: 60,
  signins_per_ip_per_window_max: 30,
  rate_window_ms: 60_000,
  /** Expired nonces and sessions are deleted in batches of at most this many rows. */
  purge_batch_max: 200,
  statement_chars_max: 200,
} as const;
