/**
 * AIMP v2 federation (spec §2, §4, §5): peers this hub crawls, the capabilities it indexed from
 * them, and calls it routed to them. Money is bigint minor units of the routing asset; prices as
 * peers advertise them are kept as micro-USD (µUSD) for filtering and display only, never charged.
 *
 * Replays: an announce of a known hub changes nothing (spec §2.4) and answers the same; a crawl
 * result is recorded under the lease its crawl claimed, so a late or duplicated crawl is dropped.
 * A routed call carries its id as the Idempotency-Key at the provider hub, and its ledger
 * transfers derive from that id, so a retried step replays instead of paying twice.
 * Concurrency: state changes are guarded updates (`… where state = ?`); several processes may
 * crawl and route at once.
 */

/** `pending` (announced, unverified, confers nothing), `active` (its signed manifest verified),
 * `degraded` (was verified, now down or slow), `refused` (served a document that did not verify). */
export type PeerState = "pending" | "active" | "degraded" | "refused";
export const peerStates: readonly PeerState[] = ["pending", "active", "degraded", "refused"];

/** How this hub pays at a peer: its own API key there, or a channel it opened there. */
export type RouteCredentialKind = "api_key" | "channel";

/** A peer hub as this hub knows it. */
export interface Peer {
  id: string;
  /** The peer's origin (`https://hub.example`), unique. */
  hub_url: string;
  well_known_url: string;
  name: string;
  state: PeerState;
  /** The key that signed the announce (spec §7.3.5); a claim, never a trust grant. */
  announced_public_key: string;
  /** The key of the last verified manifest (from the peer's well-known document). */
  signer_public_key: string | null;
  capabilities_count: number;
  manifest_generated_at: string | null;
  /** Failed crawls in a row. */
  failures: number;
  last_error: string | null;
  last_crawl_at_ms: number | null;
  last_ok_at_ms: number | null;
  /** First verified crawl: the peer's age in the trust score counts from here. */
  activated_at_ms: number | null;
  next_crawl_at_ms: number;
  /** Set when the operator gave this hub an account at the peer. */
  route_kind: RouteCredentialKind | null;
  route_asset: string;
  /** The bond the operator holds for this peer, in µUSD (spec §5.1 `bond_usd`). */
  bond_usd_micros: bigint;
  created_at_ms: number;
  updated_at_ms: number;
}

/** One capability indexed from a peer's verified manifest. */
export interface FederatedTool {
  peer_id: string;
  hub_url: string;
  hub_name: string;
  name: string;
  product_id: string;
  capability_id: string;
  description: string;
  /** The advertised price per call, rounded up to µUSD. */
  price_usd_micros: bigint;
  p50_latency_ms: number | null;
  /** The tool object as the peer published it (parsed JSON). */
  tool: Record<string, unknown>;
}

/** A tool read from a manifest, before it is stored under its peer. */
export type IndexedTool = Omit<FederatedTool, "peer_id" | "hub_url" | "hub_name">;

/** What one crawl of a peer found. */
export type CrawlOutcome =
  | {
      kind: "ok";
      name: string;
      signer_public_key: string;
      manifest_generated_at: string;
      capabilities_count: number;
      tools: IndexedTool[];
      /** Tools left out: malformed, another hub's, or past the per-peer bound. */
      skipped: number;
    }
  | { kind: "unreachable"; detail: string }
  | { kind: "invalid"; detail: string };

/** `routing` (caller's money held, provider being called), then `settled` or `refunded`. */
export type CallState = "routing" | "settled" | "refunded";

/** One call this hub routed to a provider hub on a caller's behalf. */
export interface RoutedCall {
  id: string;
  caller_id: string;
  peer_id: string;
  product_id: string;
  capability_id: string;
  asset: string;
  /** What the provider hub charges this hub (its quote, or less when it charged less). */
  price_minor: bigint;
  fee_bps: number;
  fee_minor: bigint;
  /** price + fee: what the caller pays. */
  routed_minor: bigint;
  state: CallState;
  hold_id: string;
  provider_status: number | null;
  provider_receipt: Record<string, unknown> | null;
  error: string | null;
  latency_ms: number | null;
  created_at_ms: number;
  finished_at_ms: number | null;
}

/** What the trust score (spec §5.1) is computed from. */
export interface TrustInputs {
  age_days: number;
  bond_usd: number;
  /** 0–1; 0 when nothing was routed in the window (unknown earns no trust). */
  success_rate_30d: number;
  volume_usd_30d: number;
}
