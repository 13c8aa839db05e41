/**
 * The federated catalogue (AIMP v2 §3, §8): search across this hub's own catalogue and the
 * verified tools of its active peers, with each match's source hub, routed price and trust
 * score; and this hub's v2 manifest, local and federated tools signed together by this hub.
 */
import type { KeyObject } from "node:crypto";
import { type AimpHubSummary, type AimpTool, signManifest } from "../aimp/index.ts";
import { tokensOf } from "../catalog/index.ts";
import type { Executor } from "../db/db.ts";
import {
  type FederatedTool,
  type Federation,
  federationLimits as FL,
  hubOrigin,
} from "../federation/index.ts";
import { minorToDecimal } from "../kernel/money.ts";

/** One capability of this hub's own catalogue, as search and the manifest show it. */
export interface LocalCapability {
  product_id: string;
  capability_id: string;
  name: string;
  description: string;
  /** The lowest price of one call, µUSD (stablecoins count 1:1). */
  price_usd_micros: bigint;
  p50_latency_ms: number | null;
  /** Relevance from the catalogue's own ranking, 0–1 (search only). */
  relevance: number;
  /** The full tool (schemas, success rate …) for the manifest. */
  tool: AimpTool;
}

/** `any` hub, only this hub (`local`), or one peer by URL. */
export interface SearchQuery {
  intent: string;
  budget_usd_micros: bigint | null;
  max_latency_ms: number | null;
  min_trust: number | null;
  hub: string;
  limit: number;
}

export interface SearchDeps {
  federation: Federation;
  publicUrl: () => string;
  hub_name: string;
  routing_fee_bps: number;
  /** This hub's catalogue search (text relevance, budget and latency already applied). */
  localSearch: (ex: Executor, intent: string) => Promise<LocalCapability[]>;
}

/** One match of a federated search (spec §8 field names). */
export interface SearchMatch {
  product_id: string;
  capability_id: string;
  source_hub: string;
  source_hub_name: string;
  score: number;
  price_per_call_usd: number;
  routed_price_usd: number;
  routing_fee_bps: number;
  trust_score: number;
  p50_latency_ms: number | null;
  description: string;
}

const usd = (micros: bigint) => Number(minorToDecimal(micros, 6));
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The routed price of an advertised price: price + the routing fee (floor, as settled). */
export function routedMicros(price: bigint, bps: number): bigint {
  return price + (price * BigInt(bps)) / 10_000n;
}

/** Searches this hub and its active peers; ranks by relevance and trust, best first. */
export async function federatedSearch(deps: SearchDeps, ex: Executor, q: SearchQuery) {
  const self = hubOrigin(deps.publicUrl()) ?? deps.publicUrl();
  const wanted = q.hub === "any" || q.hub === "local" ? q.hub : (hubOrigin(q.hub) ?? q.hub);
  const searchLocal = wanted === "any" || wanted === "local" || wanted === self;
  const searchPeers = wanted !== "local" && wanted !== self;
  const matches: SearchMatch[] = [];
  const fits = (routed: bigint, latency: number | null, trust: number) =>
    (q.budget_usd_micros === null || routed <= q.budget_usd_micros) &&
    (q.max_latency_ms === null || latency === null || latency <= q.max_latency_ms) &&
    (q.min_trust === null || trust >= q.min_trust);
  if (searchLocal) {
    for (const c of await deps.localSearch(ex, q.intent)) {
      // This hub's own capabilities: no routing, and the hub vouches for itself.
      if (!fits(c.price_usd_micros, c.p50_latency_ms, 1)) continue;
      matches.push({
        product_id: c.product_id,
        capability_id: c.capability_id,
        source_hub: self,
        source_hub_name: deps.hub_name,
        score: round4(0.75 * Math.min(c.relevance, 1) + 0.25),
        price_per_call_usd: usd(c.price_usd_micros),
        routed_price_usd: usd(c.price_usd_micros),
        routing_fee_bps: 0,
        trust_score: 1,
        p50_latency_ms: c.p50_latency_ms,
        description: c.description,
      });
    }
  }
  let hubs = searchLocal ? 1 : 0;
  if (searchPeers) {
    const peers = (await deps.federation.listPeers(ex, ["active"])).filter(
      (p) => wanted === "any" || p.hub_url === wanted,
    );
    hubs += peers.length;
    const trust = await deps.federation.trustOf(ex, peers);
    const tokens = tokensOf(q.intent);
    const only = wanted === "any" ? null : (peers[0]?.id ?? null);
    const tools: FederatedTool[] =
      wanted === "any" || only !== null
        ? await deps.federation.searchTools(ex, {
            tokens,
            peer_id: only,
            limit: FL.search_candidates_max,
          })
        : [];
    for (const t of tools) {
      const score = trust.get(t.peer_id) ?? 0;
      const routed = routedMicros(t.price_usd_micros, deps.routing_fee_bps);
      if (!fits(routed, t.p50_latency_ms, score)) continue;
      const text = `${t.name} ${t.description}`.toLowerCase();
      const relevance = tokens.length
        ? tokens.filter((k) => text.includes(k)).length / tokens.length
        : 0.5;
      matches.push({
        product_id: t.product_id,
        capability_id: t.capability_id,
        source_hub: t.hub_url,
        source_hub_name: t.hub_name,
        score: round4(0.75 * relevance + 0.25 * score),
        price_per_call_usd: usd(t.price_usd_micros),
        routed_price_usd: usd(routed),
        routing_fee_bps: deps.routing_fee_bps,
        trust_score: score,
        p50_latency_ms: t.p50_latency_ms,
        description: t.description,
      });
    }
  }
  matches.sort((a, b) => b.score - a.score || a.routed_price_usd - b.routed_price_usd);
  return { matches: matches.slice(0, q.limit), total_hubs_searched: hubs };
}

/** This hub's v2 manifest: its own tools and its active peers' tools, signed by this hub. */
export async function federatedManifest(
  deps: Pick<SearchDeps, "federation" | "publicUrl">,
  ex: Executor,
  local: LocalCapability[],
  signer: KeyObject,
  generated_at: string,
) {
  const self = hubOrigin(deps.publicUrl()) ?? deps.publicUrl();
  const tools: AimpTool[] = local.map((c) => ({ ...c.tool, source_hub: self }));
  const federated = await deps.federation.allActiveTools(ex, FL.manifest_federated_tools_max);
  const peers = await deps.federation.listPeers(ex, ["active"]);
  const trust = await deps.federation.trustOf(ex, peers);
  const by_hub: Record<string, AimpHubSummary> = {
    [self]: { capabilities_count: local.length, trust_score: 1 },
  };
  for (const peer of peers) {
    by_hub[peer.hub_url] = { capabilities_count: 0, trust_score: trust.get(peer.id) ?? 0 };
  }
  for (const t of federated) {
    tools.push({ ...(t.tool as AimpTool), source_hub: t.hub_url });
    const entry = by_hub[t.hub_url];
    if (entry) entry.capabilities_count = (entry.capabilities_count ?? 0) + 1;
  }
  return signManifest(
    {
      protocol_version: "v2" as const,
      generated_at,
      base_url: deps.publicUrl(),
      capabilities_count: tools.length,
      total_capabilities: tools.length,
      local_capabilities: local.length,
      federated_capabilities: federated.length,
      hubs_indexed: Object.keys(by_hub).length,
      tools,
      by_hub,
    },
    signer,
  );
}
