/**
 * The federation service: announces, the crawl of peers, this hub's accounts at peers, the
 * index of their tools, trust scores and the records of routed calls. Routing money crosses
 * modules and lives in flows/federation.ts.
 */
import { randomBytes } from "node:crypto";
import { verifyAnnounce } from "../aimp/index.ts";
import type { Database, Executor, Tx } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import type { Logger } from "../kernel/logger.ts";
import { Problem } from "../kernel/problem.ts";
import * as calls from "./calls-store.ts";
import { crawlPeer, hubOrigin } from "./crawl.ts";
import { federationLimits as L } from "./limits.ts";
import { nextPeerState, type PeerEvent } from "./machine.ts";
import type { CrawlOutcome, Peer, PeerState, RouteCredentialKind } from "./model.ts";
import type { PeerFetch } from "./peer-client.ts";
import { federationProblems as P } from "./problems.ts";
import * as store from "./store.ts";
import { trustScore } from "./trust.ts";

/** Seals small secrets at rest, bound to the row they belong to (AES-GCM with `aad`). */
export interface Sealer {
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string | null;
}

export interface FederationDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** This hub's public URL; a hub never peers with itself. */
  publicUrl: () => string;
  /** The guarded transport to peers. */
  fetch: PeerFetch;
  /** The publish-time SSRF check of a URL (throws NET_URL_BLOCKED). */
  checkUrl: (raw: string, pointer: string) => Promise<void>;
  secrets: Sealer;
  decimalsOf: (asset: string) => number;
}

/** A signed announce as received (spec §8). */
export interface AnnounceInput {
  hub_url: string;
  well_known_url: string;
  capabilities_count: number;
  signer_public_key: string;
  signature: { algorithm: string; value: string; public_key?: string };
  hub_name?: string;
}

/** What one crawl did to one peer. */
export interface CrawlReport {
  peer_id: string;
  hub_url: string;
  from: PeerState;
  /** `forgotten` when a pending peer never answered and was dropped. */
  to: PeerState | "forgotten";
  outcome: CrawlOutcome["kind"];
  detail: string | null;
  tools_indexed: number;
}

const DAY_MS = 86_400_000;

/** Creates the federation service. */
export function createFederation(deps: FederationDeps) {
  const { db, clock } = deps;
  const aad = (peer_id: string, kind: RouteCredentialKind) =>
    `federation-route\n${peer_id}\n${kind}`;

  /** Records an announced hub as `pending`; a known hub is acknowledged and left as it is. */
  async function announce(tx: Tx, input: AnnounceInput) {
    const invalid = (pointer: string, detail: string) =>
      new Problem(P.FEDERATION_ANNOUNCE_INVALID, `${pointer}: ${detail}`, {
        errors: [{ pointer, detail }],
      });
    const hub_url = hubOrigin(input.hub_url);
    if (!hub_url) throw invalid("/hub_url", "must be an http(s) origin without path or query");
    if (hub_url === hubOrigin(deps.publicUrl())) throw invalid("/hub_url", "is this hub");
    let wellKnown: URL;
    try {
      wellKnown = new URL(input.well_known_url);
    } catch {
      throw invalid("/well_known_url", "is not a URL");
    }
    if (wellKnown.origin !== hub_url) throw invalid("/well_known_url", "is not on hub_url");
    const verdict = verifyAnnounce(input, input.signer_public_key);
    if (!verdict.valid) throw invalid("/signature", `${verdict.reason}: ${verdict.detail}`);
    await deps.checkUrl(hub_url, "/hub_url");
    const known = await store.peerByUrl(tx, hub_url);
    if (known) return { acknowledged: true, peer_added: false, peer_id: known.id };
    if ((await store.countPeers(tx, "pending")) >= L.pending_peers_max) {
      throw new Problem(P.FEDERATION_PEER_LIMIT, "too many unverified peers; announce later");
    }
    if ((await store.countPeers(tx, null)) >= L.peers_max) {
      throw new Problem(P.FEDERATION_PEER_LIMIT, "this hub keeps no more peers");
    }
    const now = clock.now_ms();
    const peer: Peer = {
      id: newId("peer", now),
      hub_url,
      well_known_url: wellKnown.href,
      name: (input.hub_name ?? hub_url).slice(0, L.hub_name_chars_max),
      state: "pending",
      announced_public_key: input.signer_public_key,
      signer_public_key: null,
      capabilities_count: 0,
      manifest_generated_at: null,
      failures: 0,
      last_error: null,
      last_crawl_at_ms: null,
      last_ok_at_ms: null,
      activated_at_ms: null,
      next_crawl_at_ms: now,
      route_kind: null,
      route_asset: L.routing_asset_default,
      bond_usd_micros: 0n,
      created_at_ms: now,
      updated_at_ms: now,
    };
    const added = await store.insertPeer(tx, peer);
    const id = added ? peer.id : ((await store.peerByUrl(tx, hub_url))?.id ?? null);
    return { acknowledged: true, peer_added: added, peer_id: id };
  }

  function backoffMs(failures: number): number {
    const exp = Math.min(failures - 1, 20);
    return Math.min(L.crawl_backoff_base_ms * 2 ** Math.max(exp, 0), L.crawl_backoff_max_ms);
  }

  /** Crawls a peer whose lease this process holds, then records the outcome under that lease. */
  async function crawlClaimed(peer: Peer, token: string): Promise<CrawlReport> {
    const outcome = await crawlPeer(deps.fetch, peer);
    const now = clock.now_ms();
    const event: PeerEvent =
      outcome.kind === "ok"
        ? "crawl_ok"
        : outcome.kind === "invalid"
          ? "crawl_invalid"
          : "crawl_unreachable";
    const next = nextPeerState(peer.state, event);
    assert(next !== null, `a claimed peer (${peer.state}) takes every crawl event`);
    const failures = outcome.kind === "ok" ? 0 : peer.failures + 1;
    const detail = outcome.kind === "ok" ? null : outcome.detail.slice(0, L.error_chars_max);
    const forget =
      peer.state === "pending" &&
      event === "crawl_unreachable" &&
      failures >= L.pending_attempts_max;
    const report: CrawlReport = {
      peer_id: peer.id,
      hub_url: peer.hub_url,
      from: peer.state,
      to: forget ? "forgotten" : next,
      outcome: outcome.kind,
      detail,
      tools_indexed: outcome.kind === "ok" ? outcome.tools.length : 0,
    };
    await db.transaction(async (tx) => {
      if (forget) {
        await store.deletePendingPeer(tx, peer.id, token);
        return;
      }
      const recorded = await store.recordCrawl(
        tx,
        peer.id,
        { token, from: peer.state },
        {
          state: next,
          failures,
          last_error: detail,
          next_crawl_at_ms:
            outcome.kind === "ok" ? now + L.crawl_interval_ms : now + backoffMs(failures),
          now_ms: now,
          ...(outcome.kind === "ok"
            ? {
                ok: {
                  name: outcome.name,
                  signer_public_key: outcome.signer_public_key,
                  capabilities_count: outcome.capabilities_count,
                  manifest_generated_at: outcome.manifest_generated_at,
                  activated_at_ms: peer.activated_at_ms ?? now,
                },
              }
            : {}),
        },
      );
      // The lease ran out and another crawl took over: its result stands, not ours.
      if (!recorded) return;
      if (outcome.kind === "ok") await store.replaceTools(tx, peer.id, outcome.tools);
      if (outcome.kind === "invalid") await store.replaceTools(tx, peer.id, []);
    });
    if (report.to !== peer.state) {
      deps.logger.info({ peer: peer.hub_url, ...report }, "federation peer changed state");
    }
    return report;
  }

  /** Claims and crawls one peer; null when it is leased elsewhere, refused or (unforced) not due. */
  async function crawlOne(id: string, force: boolean): Promise<CrawlReport | null> {
    const now = clock.now_ms();
    const token = randomBytes(12).toString("hex");
    const claimed = await store.claimCrawl(db.kysely, {
      id,
      token,
      now_ms: now,
      until_ms: now + L.crawl_lease_ms,
      force,
    });
    if (!claimed) return null;
    const peer = await store.peerById(db.kysely, id);
    assert(peer, "a claimed peer exists");
    return crawlClaimed(peer, token);
  }

  /** Crawls the peers that are due (the background task); returns how many were crawled. */
  async function crawlDue(): Promise<CrawlReport[]> {
    const ids = await store.duePeerIds(db.kysely, clock.now_ms(), L.crawl_peers_per_tick_max);
    const reports = await Promise.all(ids.map((id) => crawlOne(id, false)));
    return reports.filter((r): r is CrawlReport => r !== null);
  }

  /** An operator's crawl: one peer now, or every peer that is due. */
  async function crawlNow(peer_id: string | null): Promise<CrawlReport[]> {
    if (peer_id === null) return crawlDue();
    const peer = await requirePeer(db.kysely, peer_id);
    if (peer.state === "refused") {
      throw new Problem(P.FEDERATION_PEER_UNAVAILABLE, `peer ${peer_id} was refused`);
    }
    const report = await crawlOne(peer_id, true);
    if (!report) throw new Problem(P.FEDERATION_PEER_UNAVAILABLE, "a crawl of it is running");
    return [report];
  }

  async function requirePeer(ex: Executor, id: string): Promise<Peer> {
    const peer = await store.peerById(ex, id);
    if (!peer) throw new Problem(P.FEDERATION_PEER_NOT_FOUND, `no peer ${id}`);
    return peer;
  }

  /** Gives this hub's credential at a peer (its API key there, or a channel it opened there). */
  async function setRoute(
    tx: Tx,
    peer_id: string,
    spec: {
      credential: { kind: RouteCredentialKind; secret: string } | null;
      asset: string;
      bond_usd_micros: bigint;
    },
  ): Promise<Peer> {
    await requirePeer(tx, peer_id);
    const c = spec.credential;
    await store.setRoute(tx, peer_id, {
      kind: c?.kind ?? null,
      sealed: c ? deps.secrets.seal(c.secret, aad(peer_id, c.kind)) : null,
      asset: spec.asset,
      bond_usd_micros: spec.bond_usd_micros,
      now_ms: clock.now_ms(),
    });
    return requirePeer(tx, peer_id);
  }

  /** This hub's credential at a peer, or null when none was given (or it no longer opens). */
  async function routeCredential(ex: Executor, peer: Peer) {
    if (!peer.route_kind) return null;
    const sealed = await store.routeSecretOf(ex, peer.id);
    const secret = sealed ? deps.secrets.open(sealed, aad(peer.id, peer.route_kind)) : null;
    return secret ? { kind: peer.route_kind, secret } : null;
  }

  /** Trust scores (spec §5.1) of the given peers, from this hub's own routing record. */
  async function trustOf(ex: Executor, peers: readonly Peer[]): Promise<Map<string, number>> {
    const now = clock.now_ms();
    const stats = await calls.callStats(ex, now - L.trust_window_ms);
    const out = new Map<string, number>();
    for (const peer of peers) {
      let calls = 0;
      let settled = 0;
      let volume_usd = 0;
      for (const s of stats) {
        if (s.peer_id !== peer.id) continue;
        calls += s.calls;
        if (s.state !== "settled") continue;
        settled += s.calls;
        // A score, not money: float is fine here.
        volume_usd += Number(s.volume_minor) / 10 ** deps.decimalsOf(s.asset);
      }
      out.set(
        peer.id,
        trustScore({
          age_days: peer.activated_at_ms === null ? 0 : (now - peer.activated_at_ms) / DAY_MS,
          bond_usd: Number(peer.bond_usd_micros) / 1e6,
          success_rate_30d: calls === 0 ? 0 : settled / calls,
          volume_usd_30d: volume_usd,
        }),
      );
    }
    return out;
  }

  return {
    announce,
    crawlDue,
    crawlNow,
    setRoute,
    routeCredential,
    trustOf,
    requirePeer,
    getPeer: store.peerById,
    peerByUrl: store.peerByUrl,
    /** Peers in the given states (all when null), bounded by peers_max. */
    listPeers: (ex: Executor, states: readonly PeerState[] | null) =>
      store.listPeers(ex, states, L.peers_max),
    searchTools: store.searchTools,
    allActiveTools: store.allActiveTools,
    findTool: store.findTool,
    insertCall: calls.insertCall,
    finishCall: calls.finishCall,
    getCall: calls.callById,
    stuckCalls: calls.stuckCalls,
  };
}

export type Federation = ReturnType<typeof createFederation>;
