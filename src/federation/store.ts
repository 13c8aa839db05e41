/**
 * SQL of the federation module's peers and their indexed tools (`federation_peers`,
 * `federation_tools`); routed calls are in calls-store.ts. State changes are
 * guarded updates whose row counts the callers check.
 */
import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { FederatedTool, IndexedTool, Peer, PeerState, RouteCredentialKind } from "./model.ts";

type Int = number | bigint;

interface PeerRow {
  id: string;
  hub_url: string;
  well_known_url: string;
  name: string;
  state: string;
  announced_public_key: string;
  signer_public_key: string | null;
  capabilities_count: Int;
  manifest_generated_at: string | null;
  failures: Int;
  last_error: string | null;
  last_crawl_at_ms: Int | null;
  last_ok_at_ms: Int | null;
  activated_at_ms: Int | null;
  next_crawl_at_ms: Int;
  lease_token: string | null;
  lease_until_ms: Int | null;
  route_kind: string | null;
  route_secret: string | null;
  route_asset: string;
  bond_usd_micros: Int;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface ToolRow {
  peer_id: string;
  product_id: string;
  capability_id: string;
  name: string;
  description: string;
  price_usd_micros: Int;
  p50_latency_ms: Int | null;
  search_text: string;
  tool_json: string;
}

interface Tables {
  federation_peers: PeerRow;
  federation_tools: ToolRow;
}

const q = (ex: Executor) => tablesOf<Tables>(ex);

function toPeer(r: PeerRow): Peer {
  return {
    id: r.id,
    hub_url: r.hub_url,
    well_known_url: r.well_known_url,
    name: r.name,
    state: r.state as PeerState,
    announced_public_key: r.announced_public_key,
    signer_public_key: r.signer_public_key,
    capabilities_count: num(r.capabilities_count),
    manifest_generated_at: r.manifest_generated_at,
    failures: num(r.failures),
    last_error: r.last_error,
    last_crawl_at_ms: numOrNull(r.last_crawl_at_ms),
    last_ok_at_ms: numOrNull(r.last_ok_at_ms),
    activated_at_ms: numOrNull(r.activated_at_ms),
    next_crawl_at_ms: num(r.next_crawl_at_ms),
    route_kind: r.route_kind as RouteCredentialKind | null,
    route_asset: r.route_asset,
    bond_usd_micros: big(r.bond_usd_micros),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

/** A new peer row; false when a peer of that URL exists (announced concurrently). */
export async function insertPeer(ex: Executor, peer: Peer): Promise<boolean> {
  const r = await q(ex)
    .insertInto("federation_peers")
    .values({ ...peer, lease_token: null, lease_until_ms: null, route_secret: null })
    .onConflict((oc) => oc.column("hub_url").doNothing())
    .executeTakeFirst();
  return num(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function peerById(ex: Executor, id: string): Promise<Peer | null> {
  const row = await q(ex)
    .selectFrom("federation_peers")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toPeer(row) : null;
}

export async function peerByUrl(ex: Executor, hub_url: string): Promise<Peer | null> {
  const row = await q(ex)
    .selectFrom("federation_peers")
    .selectAll()
    .where("hub_url", "=", hub_url)
    .executeTakeFirst();
  return row ? toPeer(row) : null;
}

/** Peers in the given states (all when none), oldest first, bounded by the caller. */
export async function listPeers(
  ex: Executor,
  states: readonly PeerState[] | null,
  limit: number,
): Promise<Peer[]> {
  let query = q(ex).selectFrom("federation_peers").selectAll();
  if (states) query = query.where("state", "in", [...states]);
  const rows = await query.orderBy("id").limit(limit).execute();
  return rows.map(toPeer);
}

/** How many peers there are, in one state or in all. */
export async function countPeers(ex: Executor, state: PeerState | null): Promise<number> {
  let query = q(ex)
    .selectFrom("federation_peers")
    .select((eb) => eb.fn.countAll().as("n"));
  if (state) query = query.where("state", "=", state);
  const row = await query.executeTakeFirst();
  return num(row?.n as Int | undefined);
}

/** Ids of peers a crawl is due for (never refused ones, never leased ones). */
export async function duePeerIds(ex: Executor, now_ms: number, limit: number): Promise<string[]> {
  const rows = await q(ex)
    .selectFrom("federation_peers")
    .select("id")
    .where("state", "<>", "refused")
    .where("next_crawl_at_ms", "<=", now_ms)
    .where((eb) => eb.or([eb("lease_until_ms", "is", null), eb("lease_until_ms", "<=", now_ms)]))
    .orderBy("next_crawl_at_ms")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Takes the crawl lease of a peer; false when refused, leased elsewhere, or (unless forced) not due. */
export async function claimCrawl(
  ex: Executor,
  spec: { id: string; token: string; now_ms: number; until_ms: number; force: boolean },
): Promise<boolean> {
  let query = q(ex)
    .updateTable("federation_peers")
    .set({ lease_token: spec.token, lease_until_ms: spec.until_ms })
    .where("id", "=", spec.id)
    .where("state", "<>", "refused")
    .where((eb) =>
      eb.or([eb("lease_until_ms", "is", null), eb("lease_until_ms", "<=", spec.now_ms)]),
    );
  if (!spec.force) query = query.where("next_crawl_at_ms", "<=", spec.now_ms);
  const r = await query.executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}

/** What a finished crawl writes; only under the lease it claimed and from the state it read. */
export interface CrawlRecord {
  state: PeerState;
  failures: number;
  last_error: string | null;
  next_crawl_at_ms: number;
  now_ms: number;
  ok?: {
    name: string;
    signer_public_key: string;
    capabilities_count: number;
    manifest_generated_at: string;
    activated_at_ms: number;
  };
}

export async function recordCrawl(
  ex: Executor,
  id: string,
  guard: { token: string; from: PeerState },
  rec: CrawlRecord,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("federation_peers")
    .set({
      state: rec.state,
      failures: rec.failures,
      last_error: rec.last_error,
      next_crawl_at_ms: rec.next_crawl_at_ms,
      last_crawl_at_ms: rec.now_ms,
      lease_token: null,
      lease_until_ms: null,
      updated_at_ms: rec.now_ms,
      ...(rec.ok ? { ...rec.ok, last_ok_at_ms: rec.now_ms } : {}),
    })
    .where("id", "=", id)
    .where("lease_token", "=", guard.token)
    .where("state", "=", guard.from)
    .executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}

/** Forgets a pending peer that never answered (under the crawl's lease). */
export async function deletePendingPeer(ex: Executor, id: string, token: string) {
  const r = await q(ex)
    .deleteFrom("federation_peers")
    .where("id", "=", id)
    .where("lease_token", "=", token)
    .where("state", "=", "pending")
    .executeTakeFirst();
  if (num(r.numDeletedRows) === 1) await deleteTools(ex, id);
  return num(r.numDeletedRows) === 1;
}

/** Sets (or clears) this hub's credential at a peer, sealed by the caller. */
export async function setRoute(
  ex: Executor,
  id: string,
  route: {
    kind: RouteCredentialKind | null;
    sealed: string | null;
    asset: string;
    bond_usd_micros: bigint;
    now_ms: number;
  },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("federation_peers")
    .set({
      route_kind: route.kind,
      route_secret: route.sealed,
      route_asset: route.asset,
      bond_usd_micros: route.bond_usd_micros,
      updated_at_ms: route.now_ms,
    })
    .where("id", "=", id)
    .executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}

/** The sealed credential of this hub at a peer, or null. */
export async function routeSecretOf(ex: Executor, id: string): Promise<string | null> {
  const row = await q(ex)
    .selectFrom("federation_peers")
    .select("route_secret")
    .where("id", "=", id)
    .executeTakeFirst();
  return row?.route_secret ?? null;
}

async function deleteTools(ex: Executor, peer_id: string): Promise<void> {
  await q(ex).deleteFrom("federation_tools").where("peer_id", "=", peer_id).execute();
}

/** Replaces a peer's index with the tools of its latest verified manifest. */
export async function replaceTools(
  ex: Executor,
  peer_id: string,
  tools: readonly IndexedTool[],
): Promise<void> {
  await deleteTools(ex, peer_id);
  for (const t of tools) {
    await q(ex)
      .insertInto("federation_tools")
      .values({
        peer_id,
        product_id: t.product_id,
        capability_id: t.capability_id,
        name: t.name,
        description: t.description,
        price_usd_micros: t.price_usd_micros,
        p50_latency_ms: t.p50_latency_ms,
        search_text: `${t.name} ${t.description}`.toLowerCase(),
        tool_json: JSON.stringify(t.tool),
      })
      .onConflict((oc) => oc.columns(["peer_id", "product_id", "capability_id"]).doNothing())
      .execute();
  }
}

type ToolJoinRow = ToolRow & { hub_url: string; hub_name: string };

function toTool(r: ToolJoinRow): FederatedTool {
  return {
    peer_id: r.peer_id,
    hub_url: r.hub_url,
    hub_name: r.hub_name,
    name: r.name,
    product_id: r.product_id,
    capability_id: r.capability_id,
    description: r.description,
    price_usd_micros: big(r.price_usd_micros),
    p50_latency_ms: numOrNull(r.p50_latency_ms),
    tool: JSON.parse(r.tool_json) as Record<string, unknown>,
  };
}

function activeTools(ex: Executor) {
  return q(ex)
    .selectFrom("federation_tools as t")
    .innerJoin("federation_peers as p", "p.id", "t.peer_id")
    .selectAll("t")
    .select(["p.hub_url as hub_url", "p.name as hub_name"])
    .where("p.state", "=", "active");
}

/**
 * Tools of active peers whose name or description holds any of the tokens (letters and digits
 * only, so they are safe inside LIKE), optionally of one peer.
 */
export async function searchTools(
  ex: Executor,
  spec: { tokens: readonly string[]; peer_id: string | null; limit: number },
): Promise<FederatedTool[]> {
  let query = activeTools(ex);
  if (spec.peer_id) query = query.where("t.peer_id", "=", spec.peer_id);
  if (spec.tokens.length > 0) {
    query = query.where((eb) =>
      eb.or(spec.tokens.map((token) => eb("t.search_text", "like", `%${token}%`))),
    );
  }
  const rows = await query.orderBy("t.peer_id").orderBy("t.name").limit(spec.limit).execute();
  return rows.map((r) => toTool(r as ToolJoinRow));
}

/** Every tool of active peers, bounded (the federated part of this hub's manifest). */
export async function allActiveTools(ex: Executor, limit: number): Promise<FederatedTool[]> {
  const rows = await activeTools(ex).orderBy("t.peer_id").orderBy("t.name").limit(limit).execute();
  return rows.map((r) => toTool(r as ToolJoinRow));
}

/** One indexed tool of one peer, whatever the peer's state. */
export async function findTool(
  ex: Executor,
  peer_id: string,
  product_id: string,
  capability_id: string,
): Promise<IndexedTool | null> {
  const row = await q(ex)
    .selectFrom("federation_tools")
    .selectAll()
    .where("peer_id", "=", peer_id)
    .where("product_id", "=", product_id)
    .where("capability_id", "=", capability_id)
    .executeTakeFirst();
  if (!row) return null;
  const {
    peer_id: _p,
    hub_url: _u,
    hub_name: _n,
    ...tool
  } = toTool({
    ...row,
    hub_url: "",
    hub_name: "",
  });
  return tool;
}
