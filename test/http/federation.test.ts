import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  generateAimpKeyPair,
  signAnnounce,
  verifyManifest,
  verifyReceipt,
} from "../../src/aimp/index.ts";
import type { Database } from "../../src/db/db.ts";
import { federationLimits, type PeerFetch } from "../../src/federation/index.ts";
import { createRouting } from "../../src/flows/federation.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const PRODUCT = "builtin-text-stats-analyze";
const CAPABILITY = "analyze@v1";
const LOOPBACK = { outbound_allow_hosts: ["127.0.0.1"] };

interface Tool {
  source_hub?: string;
  price_per_call_usd?: number;
}
interface Manifest {
  tools: Tool[];
  signature?: unknown;
}
interface Match {
  product_id: string;
  source_hub: string;
}
interface PeerView {
  id: string;
  url: string;
  state: string;
  trust_score: number;
  last_crawl: string;
  next_crawl: string;
  signer_public_key: string | null;
  last_error?: string | null;
}

/** A real agx hub, listening on its own 127.0.0.1 port. */
async function liveHub(database?: Database): Promise<{ t: TestHub; url: string }> {
  const t = await startTestHub({ config: LOOPBACK, ...(database ? { database } : {}) });
  return { t, url: await t.hub.listen() };
}

/** The announce a hub sends about itself, signed with its AIMP key. */
async function announceOf(hub: TestHub, url: string, signer?: TestHub) {
  const ctx = (signer ?? hub).hub.ctx;
  const key = await ctx.keys.signingKey(ctx.db.kysely);
  return signAnnounce(
    {
      hub_url: url,
      well_known_url: `${url}/.well-known/ai-market.json`,
      capabilities_count: 9,
      hub_name: "peer",
    },
    key.privateKey,
  );
}

/** Serves a real hub's documents through 127.0.0.1, rewriting its v2 manifest on the way. */
async function rewritingProxy(target: string, rewrite: (manifest: Manifest) => object) {
  const server = createServer(async (req, res) => {
    const upstream = await fetch(`${target}${req.url}`);
    let text = await upstream.text();
    if (req.url === "/ai-market/v2/manifest") text = JSON.stringify(rewrite(JSON.parse(text)));
    res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// Hub A (the one that federates) runs on each store; its peers on SQLite.
describeStores("AIMP v2 federation between live hubs", (store) => {
  let a: { t: TestHub; url: string };
  let b: { t: TestHub; url: string };
  let peerB = "";
  const proxies: Server[] = [];

  beforeAll(async () => {
    a = await liveHub(store.db);
    b = await liveHub();
  });
  afterAll(async () => {
    for (const p of proxies) p.close();
    await Promise.all([a.t.close(), b.t.close()]);
  });

  const crawl = (peer_id?: string) =>
    a.t.call("POST", "/ai-market/v2/federation/crawl", {
      key: a.t.adminKey,
      body: peer_id ? { peer_id } : {},
    });
  const peersOf = async (operator: boolean) =>
    (
      await a.t.call("GET", "/ai-market/v2/federation/peers", {
        ...(operator ? { key: a.t.adminKey } : {}),
      })
    ).body.peers as PeerView[];
  async function agent(t: TestHub, funds?: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `fed${Math.random().toString(36).slice(2, 10)}` },
    });
    if (funds) {
      const dep = await t.call("POST", "/api/v1/admin/deposits", {
        key: t.adminKey,
        body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
      });
      expect(dep.status).toBe(201);
    }
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }
  const usdc = async (t: TestHub, key: string, kind = "available") =>
    (await t.call("GET", "/api/v1/balances", { key })).body.items.find(
      (i: { asset: string; kind: string }) => i.asset === "USDC" && i.kind === kind,
    )?.balance_minor ?? "0";
  const hubFees = async (t: TestHub) =>
    (await t.hub.ctx.ledger.hubAccount(t.hub.ctx.db.kysely, "USDC", "fees")).balance_minor;
  const ledgerOk = async (t: TestHub) =>
    (await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey })).body;

  it("records an announced hub as pending, unpublished until a crawl verifies it", async () => {
    const res = await a.t.call("POST", "/ai-market/v2/federation/announce", {
      body: await announceOf(b.t, b.url),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ acknowledged: true, peer_added: true });
    peerB = res.body.peer_id;
    expect(await peersOf(false)).toEqual([]);
    expect((await peersOf(true)).map((p) => [p.url, p.state])).toEqual([[b.url, "pending"]]);
    const again = await a.t.call("POST", "/ai-market/v2/federation/announce", {
      body: await announceOf(b.t, b.url),
    });
    expect(again.body).toMatchObject({ peer_added: false, peer_id: peerB });
  });

  it("refuses an announce whose signature does not cover what it says", async () => {
    const forged = { ...(await announceOf(b.t, b.url)), capabilities_count: 10_000 };
    const res = await a.t.call("POST", "/ai-market/v2/federation/announce", { body: forged });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("FEDERATION_ANNOUNCE_INVALID");
  });

  it("sends announced URLs through the outbound guard: loopback only when allow-listed", async () => {
    const key = generateAimpKeyPair();
    for (const hub_url of ["http://localhost:9", "http://10.0.0.7", "http://169.254.169.254"]) {
      const body = signAnnounce(
        { hub_url, well_known_url: `${hub_url}/.well-known/ai-market.json`, capabilities_count: 1 },
        key.privateKey,
      );
      const res = await a.t.call("POST", "/ai-market/v2/federation/announce", { body });
      expect(res.status, hub_url).toBe(403);
      expect(res.body.code).toBe("NET_URL_BLOCKED");
    }
    const closed = await startTestHub();
    try {
      const res = await closed.call("POST", "/ai-market/v2/federation/announce", {
        body: await announceOf(b.t, b.url),
      });
      expect(res.body.code).toBe("NET_URL_BLOCKED");
    } finally {
      await closed.close();
    }
  });

  it("crawls the announced hub, verifies its signed v2 manifest and marks it active", async () => {
    const res = await crawl();
    expect(res.status).toBe(200);
    expect(res.body.crawled).toEqual([
      expect.objectContaining({ peer_id: peerB, from: "pending", to: "active", outcome: "ok" }),
    ]);
    expect(res.body.crawled[0].tools_indexed).toBeGreaterThanOrEqual(9);
    const known = (await b.t.call("GET", "/.well-known/ai-market.json")).body;
    const [peer] = (await peersOf(false)) as [PeerView];
    expect(peer).toMatchObject({ url: b.url, state: "active", failures: 0 });
    expect(peer.signer_public_key).toBe(known.signer_public_key);
    expect(peer.trust_score).toBeGreaterThanOrEqual(0);
    expect(peer.last_error).toBeUndefined();
  });

  it("refuses a peer whose manifest was tampered with, or arrives unsigned", async () => {
    const cheaper = await rewritingProxy(b.url, (m) => ({
      ...m,
      tools: m.tools.map((t: Tool, i: number) => (i === 0 ? { ...t, price_per_call_usd: 0 } : t)),
    }));
    const unsigned = await rewritingProxy(b.url, ({ signature: _s, ...m }) => m);
    proxies.push(cheaper.server, unsigned.server);
    for (const [proxy, reason] of [
      [cheaper, "bad_signature"],
      [unsigned, "missing_signature"],
    ] as const) {
      const ann = await a.t.call("POST", "/ai-market/v2/federation/announce", {
        body: await announceOf(b.t, proxy.url),
      });
      const res = await crawl(ann.body.peer_id);
      expect(res.body.crawled[0]).toMatchObject({ from: "pending", to: "refused" });
      expect(res.body.crawled[0].detail).toContain(reason);
      const search = await a.t.call(
        "GET",
        `/ai-market/v2/search?intent=count+words&hub=${encodeURIComponent(proxy.url)}`,
      );
      expect(search.body.matches).toEqual([]);
    }
    const states = (await peersOf(true)).map((p) => p.state).sort();
    expect(states).toEqual(["active", "refused", "refused"]);
    expect((await peersOf(false)).map((p) => p.url)).toEqual([b.url]);
  });

  it("finds remote capabilities with their source hub, routed price and trust score", async () => {
    const res = await a.t.call(
      "GET",
      `/ai-market/v2/search?intent=count+the+words&hub=${encodeURIComponent(b.url)}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.protocol_version).toBe("v2");
    const match = res.body.matches.find((m: Match) => m.product_id === PRODUCT);
    expect(match).toMatchObject({
      capability_id: CAPABILITY,
      source_hub: b.url,
      routing_fee_bps: 100,
    });
    expect(match.routed_price_usd).toBeCloseTo(match.price_per_call_usd * 1.01, 9);
    expect(match.trust_score).toBeGreaterThanOrEqual(0);
    expect(res.body.matches.every((m: Match) => m.source_hub === b.url)).toBe(true);
    const any = await a.t.call("GET", "/ai-market/v2/search?intent=count+the+words&limit=50");
    const hubs = new Set(any.body.matches.map((m: Match) => m.source_hub));
    expect(hubs).toEqual(new Set([a.url, b.url]));
    expect(any.body.total_hubs_searched).toBe(2);
    const none = await a.t.call(
      "GET",
      "/ai-market/v2/search?intent=count+the+words&min_trust=0.99",
    );
    expect(none.body.matches.every((m: Match) => m.source_hub === a.url)).toBe(true);
  });

  it("publishes a v2 manifest of local and federated tools, signed by this hub", async () => {
    const known = (await a.t.call("GET", "/.well-known/ai-market.json")).body;
    const res = await a.t.hub.app.inject({ method: "GET", url: "/ai-market/v2/manifest" });
    expect(verifyManifest(res.body, known.signer_public_key)).toEqual({ valid: true });
    const m = JSON.parse(res.body);
    expect(m.protocol_version).toBe("v2");
    expect(m.federated_capabilities).toBeGreaterThanOrEqual(9);
    expect(m.capabilities_count).toBe(m.local_capabilities + m.federated_capabilities);
    expect(Object.keys(m.by_hub).sort()).toEqual([a.url, b.url].sort());
    expect(m.tools.filter((t: Tool) => t.source_hub === b.url)).toHaveLength(
      m.federated_capabilities,
    );
  });

  it("routes a paid call to the provider hub, pays it there, and returns both receipts", async () => {
    const account = await agent(b.t, "5");
    const set = await a.t.call("PUT", `/ai-market/v2/federation/peers/${peerB}/account`, {
      key: a.t.adminKey,
      body: { api_key: account.key },
    });
    expect(set.body.routing).toMatchObject({ configured: true, via: "api_key", asset: "USDC" });
    const caller = await agent(a.t, "5");
    const input = { text: "Agents trade skills. Machines pay." };
    const quote = await b.t.call("POST", `/ai-market/pricing/${PRODUCT}/${CAPABILITY}`, {
      body: { input },
    });
    const price = BigInt(quote.body.price.amount_minor);
    const fee = (price * 100n) / 10_000n;

    const feesBefore = await hubFees(a.t);
    const res = await a.t.call("POST", "/ai-market/v2/invoke", {
      key: caller.key,
      body: { product_id: PRODUCT, capability_id: CAPABILITY, source_hub: b.url, input },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, source_hub: b.url, routing_fee_bps: 100 });
    expect(res.body.result).toBeTruthy();
    expect(res.body.charged.amount).toBe((Number(price + fee) / 1e6).toFixed(6));

    const keyA = (await a.t.call("GET", "/.well-known/ai-market.json")).body.signer_public_key;
    const keyB = (await b.t.call("GET", "/.well-known/ai-market.json")).body.signer_public_key;
    expect(verifyReceipt(res.body.receipt, keyA).valid).toBe(true);
    expect(res.body.receipt.price_usd).toBe(Number(price + fee) / 1e6);
    expect(verifyReceipt(res.body.provider_receipt, keyB).valid).toBe(true);
    expect(verifyReceipt(res.body.provider_receipt, keyA).valid).toBe(false);
    const jws = res.body.agx_receipt.jws as string;
    expect(res.headers["peac-receipt"]).toBe(jws);
    const verified = await a.t.call("POST", "/v1/verify", { body: { receipt: jws } });
    expect(verified.body.valid).toBe(true);
    expect(JSON.stringify(verified.body.payload)).toContain(
      JSON.stringify(res.body.provider_receipt.signature.value),
    );

    expect(await usdc(a.t, caller.key)).toBe(String(5_000_000n - price - fee));
    expect(await usdc(b.t, account.key)).toBe(String(5_000_000n - price));
    expect((await hubFees(a.t)) - feesBefore).toBe(fee);
    for (const t of [a.t, b.t]) expect((await ledgerOk(t)).failures).toEqual([]);
    // One settled call in 30 days: the success term (0.35) of the spec's formula, nothing else yet.
    const peer = (await peersOf(false)).find((p) => p.url === b.url) as PeerView;
    expect(peer.trust_score).toBeCloseTo(0.35, 3);
  });

  it("refunds a routed call the provider hub fails, and charges no fee", async () => {
    const unfunded = await agent(b.t);
    await a.t.call("PUT", `/ai-market/v2/federation/peers/${peerB}/account`, {
      key: a.t.adminKey,
      body: { api_key: unfunded.key },
    });
    const caller = await agent(a.t, "1");
    const body = {
      product_id: PRODUCT,
      capability_id: CAPABILITY,
      source_hub: b.url,
      input: { text: "nobody pays for this" },
    };
    const feesBefore = await hubFees(a.t);
    const res = await a.t.call("POST", "/ai-market/v2/invoke", { key: caller.key, body });
    expect(res.status).toBe(502);
    expect(await hubFees(a.t)).toBe(feesBefore);
    expect(res.body).toMatchObject({ code: "FEDERATION_PEER_FAILED", refunded: true });
    expect(await usdc(a.t, caller.key)).toBe("1000000");
    const transfers = (await a.t.call("GET", "/api/v1/transfers", { key: caller.key })).body;
    expect(transfers.items.map((t: { kind: string }) => t.kind).sort()).toEqual(
      ["pending", "posted", "void_pending"].sort(),
    );
    for (const t of [a.t, b.t]) expect((await ledgerOk(t)).failures).toEqual([]);
    const peer = (await peersOf(false)).find((p) => p.url === b.url) as PeerView;
    expect(peer.trust_score).toBeCloseTo(0.175, 3);
    const unpaid = await a.t.call("POST", "/ai-market/v2/invoke", { body });
    expect(unpaid.status).toBe(402);
  });

  it("refunds a call lost mid-flight, and a late answer cannot charge it afterwards", async () => {
    const ctx = a.t.hub.ctx;
    const clock = manualClock(Date.now());
    let release: () => void = () => {};
    let started: () => void = () => {};
    const calling = new Promise<void>((resolve) => {
      started = resolve;
    });
    const fetch: PeerFetch = async (r) => {
      if (r.url.includes("/ai-market/pricing/")) {
        const body = Buffer.from(JSON.stringify({ price: { amount: "0.010000" } }));
        return { url: r.url, status: 200, headers: {}, body, redirects: 0 };
      }
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { url: r.url, status: 500, headers: {}, body: Buffer.from("late"), redirects: 0 };
    };
    const routing = createRouting({
      ...ctx,
      fetch,
      clock,
      decimalsOf: () => 6,
      signer: async () => (await ctx.keys.signingKey(ctx.db.kysely)).privateKey,
      routing_fee_bps: 100,
    });
    const caller = await agent(a.t, "1");
    const pending = routing
      .invoke({
        caller_id: caller.id,
        product_id: PRODUCT,
        capability_id: CAPABILITY,
        source_hub: b.url,
        input: { text: "lost" },
      })
      .catch((error: unknown) => error);
    // Either the provider is being called, or the call failed before (then the test fails).
    const early = await Promise.race([calling.then(() => null), pending]);
    expect(early).toBeNull();
    expect(await usdc(a.t, caller.key)).toBe("1000000");
    const held = (await a.t.call("GET", "/api/v1/balances", { key: caller.key })).body.items[0];
    expect(held.available_minor).toBe(String(1_000_000 - 10_100));
    expect(await routing.recoverStuck()).toBe(0);
    clock.advance(federationLimits.call_stuck_after_ms + 1);
    expect(await routing.recoverStuck()).toBe(1);
    release();
    expect(await pending).toMatchObject({ code: "FEDERATION_PEER_FAILED" });
    const after = (await a.t.call("GET", "/api/v1/balances", { key: caller.key })).body.items[0];
    expect(after.available_minor).toBe("1000000");
    expect((await ledgerOk(a.t)).failures).toEqual([]);
  });

  it("marks a peer that stops answering as degraded and stops routing to it", async () => {
    const c = await liveHub();
    let closed = false;
    try {
      const ann = await a.t.call("POST", "/ai-market/v2/federation/announce", {
        body: await announceOf(c.t, c.url),
      });
      expect((await crawl(ann.body.peer_id)).body.crawled[0].to).toBe("active");
      await c.t.close();
      closed = true;
      const res = await crawl(ann.body.peer_id);
      expect(res.body.crawled[0]).toMatchObject({ from: "active", to: "degraded" });
      expect(res.body.crawled[0].detail).toMatch(/NET_FETCH_FAILED/);
      const peer = (await peersOf(true)).find((p) => p.id === ann.body.peer_id) as PeerView;
      expect(peer).toMatchObject({ state: "degraded", failures: 1 });
      // Backoff: the first failure waits the base delay before the next attempt.
      expect(Date.parse(peer.next_crawl) - Date.parse(peer.last_crawl)).toBe(
        federationLimits.crawl_backoff_base_ms,
      );
      const caller = await agent(a.t, "1");
      const call = await a.t.call("POST", "/ai-market/v2/invoke", {
        key: caller.key,
        body: { product_id: PRODUCT, capability_id: CAPABILITY, source_hub: c.url, input: {} },
      });
      expect(call.status).toBe(409);
      expect(call.body.code).toBe("FEDERATION_PEER_UNAVAILABLE");
      const search = await a.t.call(
        "GET",
        `/ai-market/v2/search?intent=count+words&hub=${encodeURIComponent(c.url)}`,
      );
      expect(search.body.matches).toEqual([]);
    } finally {
      if (!closed) await c.t.close();
    }
  });
});
