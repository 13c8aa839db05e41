/**
 * Bounds of the machines module, with units in the names. They move to kernel/limits.ts when the
 * module is wired into the hub; until then they live here so the module stays self-contained.
 */
export const machineLimits = {
  /** How long an identity or key-binding challenge may be used (our choice; peaq: "short"). */
  identity_challenge_ttl_ms: 5 * 60_000,
  identity_ref_chars_max: 200,
  /** A DID with more controllers than this is refused rather than listed in a message. */
  controller_addresses_max: 16,
  /** An RPC identityOwner lookup gives up after this long (fail closed). */
  controller_rpc_timeout_ms: 5_000,
  /** Page sizes of machine lists (peaq: limit 1..500, default 100). */
  page_size_default: 100,
  page_size_max: 500,
  display_name_chars_max: 120,
  capabilities_max: 64,
  skill_keys_max: 64,
  labels_max: 32,
  label_chars_max: 200,
  /** A heartbeat keeps its endpoints reachable for this long (our choice). */
  runtime_lease_ms: 90_000,
  runtime_endpoints_per_machine_max: 32,
  runtime_agent_token_random_bytes: 32,
  endpoint_auth_token_chars_max: 4096,
  key_bindings_per_principal_max: 20,
  /** Expired challenges are deleted in batches of at most this many rows. */
  purge_batch_max: 500,
} as const;
