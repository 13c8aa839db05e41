/**
 * AI Market Protocol (AIMP) wire types: the signed objects of spec §7.3 and the discovery
 * document. Field names are the wire's (snake_case). Numbers a Python hub may have written as
 * floats are PyNumber, so a document read with parsePyJson re-hashes exactly (see pyjson.ts).
 *
 * Replay: AIMP signatures bind content only, never an audience or a channel. A receipt is
 * single-use only through its `nonce`, which the consumer must remember; a federation announce
 * binds no nonce or timestamp at all and is replayable by design (spec §7.3.5), so it may
 * never grant anything. Concurrent use: every function of this module is pure.
 */
import type { PyJsonObject, PyJsonValue, PyNumber } from "./pyjson.ts";

/** The signature block carried beside a signed document (spec §7.3.1). */
export interface AimpSignature {
  algorithm: "ed25519";
  /** Raw Ed25519 public key, padded base64; manifests carry it, receipts and announces not. */
  public_key?: string;
  /** The 64-byte Ed25519 signature, standard padded base64. */
  value: string;
  /** Receipt canonical version; absent means v1 (spec §7.3.4). */
  version?: 1 | 2;
}

/** A document with its signature block attached. */
export type Signed<T> = T & { signature: AimpSignature };

/** What the receipt canonicals read; an absent success or latency_ms signs as 0 (§7.3.3). */
export interface AimpReceiptCanonicalFields {
  nonce: string;
  product_id: string;
  capability_id: string;
  price_usd: PyNumber;
  timestamp: string;
  success?: boolean;
  latency_ms?: number;
}

/** An invocation receipt as this hub issues it. */
export interface AimpReceipt extends AimpReceiptCanonicalFields {
  success: boolean;
  latency_ms: number;
}

/** Fields only the v2 canonical binds, in the reference implementation's order. */
export const RECEIPT_V2_FIELDS = [
  "type",
  "channel_id",
  "category",
  "plugin",
  "reason",
  "verify_score",
  "delivery_reasons",
  "trace_id",
  "refunded",
] as const;

/** One of the nine fields only the v2 receipt canonical binds. */
export type ReceiptV2Field = (typeof RECEIPT_V2_FIELDS)[number];

/** The evidence a rejection receipt is argued from; absent and null digest alike, as null. */
export interface AimpReceiptEvidence {
  /** e.g. "rejection". */
  type?: string | null;
  channel_id?: string | null;
  category?: string | null;
  plugin?: string | null;
  /** e.g. "verification_below_threshold". */
  reason?: string | null;
  verify_score?: PyNumber | null;
  delivery_reasons?: string[] | null;
  trace_id?: string | null;
  refunded?: boolean | null;
}

/** A receipt signed with the v2 canonical (mandatory once it carries evidence). */
export interface AimpReceiptV2 extends AimpReceipt, AimpReceiptEvidence {}

/** One capability in a manifest's `tools[]`; every key, known or not, is under tools_hash. */
export interface AimpTool {
  name: string;
  description: string;
  input_schema: PyJsonObject;
  output_schema?: PyJsonObject;
  price_per_call_usd?: PyNumber;
  p50_latency_ms?: number;
  success_rate_30d?: PyNumber;
  product_id?: string;
  capability_id?: string;
  source_hub?: string;
  [key: string]: PyJsonValue | undefined;
}

/** A peer's entry in a federated manifest's `by_hub`, under by_hub_hash. */
export interface AimpHubSummary {
  capabilities_count?: number;
  trust_score?: PyNumber;
  last_crawl?: string;
  [key: string]: PyJsonValue | undefined;
}

/** What the manifest canonical reads, with the spec's defaults for absent keys (§7.3.2). */
export interface AimpManifestCanonicalFields {
  /** Default 0. */
  capabilities_count?: number;
  /** Default "". */
  generated_at?: string;
  /** Default "v1". */
  protocol_version?: string;
  /** Default []. */
  tools?: readonly unknown[];
  /** Absent hashes as {}; present, it is hashed whatever it holds (null included). */
  by_hub?: unknown;
}

/** A capability manifest (`GET /ai-market/manifest`, `/ai-market/v2/manifest`). */
export interface AimpManifest extends AimpManifestCanonicalFields {
  protocol_version: "v1" | "v2";
  generated_at: string;
  capabilities_count: number;
  tools: AimpTool[];
  by_hub?: Record<string, AimpHubSummary>;
  base_url?: string;
  products_count?: number;
  total_capabilities?: number;
  local_capabilities?: number;
  federated_capabilities?: number;
  hubs_indexed?: number;
}

/** What the announce canonical reads; capabilities_count defaults to 0 (§7.3.5). */
export interface AimpAnnounceCanonicalFields {
  hub_url: string;
  well_known_url: string;
  capabilities_count?: number;
}

/** A peer announcement (`POST /ai-market/v2/federation/announce`). Confers nothing. */
export interface AimpAnnounce extends AimpAnnounceCanonicalFields {
  capabilities_count: number;
  /** Outside the signature. */
  hub_name?: string;
  /** Outside the signature; signAnnounce sets it from the signing key. */
  signer_public_key?: string;
}

/** Why a signed document did not verify. */
export type AimpVerifyFailure =
  | "malformed_json"
  | "not_an_object"
  | "missing_signature"
  | "unsupported_algorithm"
  | "unsupported_version"
  | "version_mismatch"
  | "malformed_signature"
  | "malformed_field"
  | "unrenderable_value"
  | "invalid_public_key"
  | "signer_key_mismatch"
  | "bad_signature";

/** A failed verification: a code to branch on and a detail safe to show. */
export interface AimpVerifyInvalid {
  valid: false;
  reason: AimpVerifyFailure;
  detail: string;
}

/** The outcome of verifying a manifest or an announce. */
export type AimpVerifyResult = { valid: true } | AimpVerifyInvalid;

/**
 * The outcome of verifying a receipt. `unsigned_fields` lists v2 fields the receipt carries
 * but its own signature does not cover (a v1 signature): present, and unauthenticated, so no
 * decision may rest on them (spec §7.3.4).
 */
export type AimpReceiptVerifyResult =
  | { valid: true; version: 1 | 2; unsigned_fields: ReceiptV2Field[] }
  | AimpVerifyInvalid;

/** A protocol a hub speaks, as listed in its discovery document. */
export type AimpProtocolVersion = "v1" | "v2" | "mcp";

/** `/.well-known/ai-market.json`: unsigned by design; the manifest it points to is signed. */
export interface AimpWellKnown {
  name: string;
  protocol_versions: AimpProtocolVersion[];
  manifest_url: string;
  /** Raw Ed25519 key, padded base64, that signs this hub's manifests and receipts. */
  signer_public_key: string;
  hub_version?: string;
  protocol_release_version?: string;
  mcp_endpoint?: string;
  products_count?: number;
  capabilities_count?: number;
  federated_capabilities_count?: number;
  supported_chains?: string[];
  supported_tokens?: string[];
  federation?: AimpFederationSettings;
  peers?: AimpPeer[];
  observed_hubs?: AimpObservedHub[];
}

/** A hub's federation settings (spec §2.1). */
export interface AimpFederationSettings {
  crawl_interval_s?: number;
  /** Basis points, 100 = 1 %. */
  routing_fee_bps?: number;
  min_trust_score?: number;
  seed_list?: string[];
}

/** A peer a hub lists; a claim by that hub, not a trust grant. */
export interface AimpPeer {
  url: string;
  name: string;
  capabilities_count?: number;
  last_crawl?: string;
  trust_score?: number;
}

/** A hub seen but not trusted: gossip visibility only, never admission or routing. */
export interface AimpObservedHub {
  url: string;
  status: "observed";
  name?: string;
  first_seen?: string;
  observed_by?: string;
  depth?: number;
}
