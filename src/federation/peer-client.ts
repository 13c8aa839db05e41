/**
 * Talking to other hubs: every request goes through the SSRF guard (DNS checked and pinned, no
 * redirects, bounded body and time), introduces this hub (spec §2 crawler headers) and never
 * throws for an HTTP status; network failures come back as NET_* Problems.
 */
import { type GuardedResponse, guardedFetch } from "../net/index.ts";
import { federationLimits as L } from "./limits.ts";

/** Where this hub may connect beyond public https hosts (config outbound_allow_*). */
export interface Outbound {
  allowHosts: readonly string[];
  allowPrivate: boolean;
}

/** A request to a peer: GET a document or POST JSON. */
export interface PeerRequest {
  url: string;
  timeout_ms: number;
  max_bytes: number;
  headers?: Record<string, string>;
  json?: unknown;
}

/** The transport to peers; tests may replace it. */
export type PeerFetch = (request: PeerRequest) => Promise<GuardedResponse>;

/** The guarded transport: no redirects, this hub named in every request. */
export function guardedPeerFetch(outbound: Outbound, self: () => string): PeerFetch {
  return (r) =>
    guardedFetch(r.url, {
      allowHosts: outbound.allowHosts,
      allowPrivate: outbound.allowPrivate,
      timeout_ms: r.timeout_ms,
      max_bytes: r.max_bytes,
      // Spec §7.4: no automatic redirects for anything a peer serves.
      redirects_max: 0,
      headers: {
        "user-agent": L.user_agent,
        "x-aimarket-crawler": self(),
        accept: "application/json",
        ...(r.json !== undefined ? { "content-type": "application/json" } : {}),
        ...r.headers,
      },
      ...(r.json !== undefined
        ? { method: "POST" as const, body: Buffer.from(JSON.stringify(r.json), "utf8") }
        : {}),
    });
}

/** The path of a capability under a peer, each id escaped as one path segment. */
export function capabilityPath(product_id: string, capability_id: string): string {
  return `${encodeURIComponent(product_id)}/${encodeURIComponent(capability_id)}`;
}
