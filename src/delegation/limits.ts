/**
 * Bounds of the delegation module, with units in the names. They move to kernel/limits.ts when
 * the module is wired into the hub.
 */
export const delegationLimits = {
  /** How long an agent may take to sign a pairing or session challenge (our choice). */
  pairing_challenge_ttl_ms: 5 * 60_000,
  /** Pairing session JWT lifetime (peaq: 1 h by default). */
  pairing_token_ttl_ms: 60 * 60_000,
  /** HS256 secrets shorter than this are refused (RFC 7518 §3.2: at least the hash size). */
  pairing_secret_chars_min: 32,
  /** Entries per allow or deny list of a delegation policy. */
  policy_list_entries_max: 200,
  policy_entry_chars_max: 120,
  pairings_per_machine_max: 100,
  agent_provider_chars_max: 40,
  agent_role_chars_max: 80,
  description_chars_max: 1000,
  /** Client references of spend reservations (order ids). */
  spend_reference_chars_max: 100,
  purge_batch_max: 500,
} as const;
