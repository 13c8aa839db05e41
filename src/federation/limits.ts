/**
 * Bounds of the federation module (AIMP v2), with units in the names. Every peer is a stranger:
 * how many we keep, how often and how long we talk to them, and how much of their answers we
 * read are all bounded here.
 */
export const federationLimits = {
  /** Peers this hub keeps in any state; announces beyond it are refused. */
  peers_max: 500,
  /** Unverified (`pending`) peers at once; an announce past it is a 429 (spec §8). */
  pending_peers_max: 100,
  /** A pending peer that never answered is forgotten after this many failed crawls. */
  pending_attempts_max: 5,

  /** How often the background task looks for peers due a crawl. */
  crawl_tick_ms: 5_000,
  /** A verified peer is crawled again after this (spec `crawl_interval_s`). */
  crawl_interval_ms: 5 * 60_000,
  /** After a failed crawl the next waits base × 2^(failures-1), at most the cap. */
  crawl_backoff_base_ms: 30_000,
  crawl_backoff_max_ms: 6 * 60 * 60_000,
  /** A claimed crawl is another process's to finish until its lease runs out. */
  crawl_lease_ms: 2 * 60_000,
  /** Peers crawled by one tick (in parallel). */
  crawl_peers_per_tick_max: 8,
  /** One document fetch, DNS and connect included; a slower peer is degraded. */
  crawl_timeout_ms: 10_000,
  well_known_bytes_max: 65_536,
  manifest_bytes_max: 4 * 1024 * 1024,
  /** Tools indexed per peer; the rest of a larger manifest is ignored. */
  tools_per_peer_max: 1000,
  tool_name_chars_max: 200,
  tool_description_chars_max: 4000,
  hub_name_chars_max: 120,
  error_chars_max: 500,

  /** What this hub adds to a routed call's price, in basis points (100 = 1 %). */
  routing_fee_bps: 100,
  routing_fee_bps_max: 5_000,
  /** The asset routed calls are charged in unless a peer's account says otherwise. */
  routing_asset_default: "USDC",
  /** One quote and one paid call at the provider hub. */
  quote_timeout_ms: 10_000,
  invoke_timeout_ms: 30_000,
  quote_bytes_max: 65_536,
  invoke_response_bytes_max: 2 * 1024 * 1024,
  /** The caller's hold outlives any call; a crash mid-call returns the money by then. */
  call_hold_timeout_ms: 15 * 60_000,
  /** A call still `routing` after this is treated as lost and refunded. */
  call_stuck_after_ms: 10 * 60_000,
  calls_recovered_per_tick_max: 50,
  /** Credentials of this hub at a peer (an API key or a channel id). */
  credential_chars_max: 512,

  /** Federated search. */
  search_results_default: 10,
  search_results_max: 50,
  search_candidates_max: 200,
  /** Federated tools republished in this hub's v2 manifest. */
  manifest_federated_tools_max: 2000,
  /** The window of success rate and volume in the trust score (spec §5.1: 30 days). */
  trust_window_ms: 30 * 24 * 60 * 60_000,

  /** How the crawler introduces itself (spec §2). */
  user_agent: "AIMarketHub/2.0.0 (agx)",
} as const;
