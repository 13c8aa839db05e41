import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { federationLimits as FL, type PeerState } from "../../../federation/index.ts";
import { federatedManifest, federatedSearch } from "../../../flows/federation-search.ts";
import { scopeCovers } from "../../../identity/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { decimalToMinor, minorToDecimal } from "../../../kernel/money.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import { orderProblems } from "../../../orders/index.ts";
import { receiptHeaders } from "../../../receipts/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { decimalsOf } from "../../wire.ts";
import {
  AccountBody,
  AnnounceBody,
  InvokeBody,
  localSearch,
  localTools,
  PeerWire,
  peerWire,
  SearchQuery,
} from "./federation-wire.ts";

const PUBLISHED: PeerState[] = ["active", "degraded"];
const HUB_NAME = "agx hub";
const common = { tags: ["ai-market", "federation"] };
const admin = { ...common, security: [{ apiKey: [] }] };

const isOperator = (request: FastifyRequest) =>
  request.caller !== null && scopeCovers(request.caller.key.scope, "admin");

/** The search and manifest dependencies, from the route context. */
const searchDeps = (ctx: AppContext) => ({
  federation: ctx.federation,
  publicUrl: ctx.publicUrl,
  hub_name: HUB_NAME,
  routing_fee_bps: FL.routing_fee_bps,
  localSearch: (ex: Parameters<typeof localSearch>[1], intent: string) =>
    localSearch(ctx, ex, intent),
});

/**
 * AIMP v2 federation (spec §2–§8): announce and list peers, crawl them (operators), give this
 * hub an account at a peer (operators), the federated signed manifest, search across hubs, and
 * calls routed to the provider hub.
 */
export default function federationRoutes(app: App, ctx: AppContext) {
  app.post(
    "/ai-market/v2/federation/announce",
    {
      schema: {
        ...common,
        summary: "Announce a hub (signed); it is recorded as pending until a crawl verifies it",
        operationId: "announceFederationPeer",
        body: AnnounceBody,
        response: {
          200: Type.Object({
            acknowledged: Type.Boolean(),
            peer_added: Type.Boolean(),
            peer_id: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, (tx) => ctx.federation.announce(tx, request.body)),
  );

  app.get(
    "/ai-market/v2/federation/peers",
    {
      schema: {
        ...common,
        summary: "Known peers with their state and trust score (operators also see pending ones)",
        operationId: "listFederationPeers",
        response: { 200: Type.Object({ peers: Type.Array(PeerWire) }) },
      },
    },
    async (request) => {
      const operator = isOperator(request);
      const peers = await ctx.federation.listPeers(ctx.db.kysely, operator ? null : PUBLISHED);
      const trust = await ctx.federation.trustOf(ctx.db.kysely, peers);
      return { peers: peers.map((p) => peerWire(p, trust.get(p.id) ?? 0, operator)) };
    },
  );

  app.post(
    "/ai-market/v2/federation/crawl",
    {
      config: { access: "admin" },
      schema: {
        ...admin,
        summary: "Crawl one peer now, or every peer that is due (operator)",
        operationId: "crawlFederationPeers",
        body: Type.Object(
          { peer_id: Type.Optional(Type.String({ pattern: "^peer_[0-9a-z]{26}$" })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            crawled: Type.Array(
              Type.Object({
                peer_id: Type.String(),
                hub_url: Type.String(),
                from: Type.String(),
                to: Type.String(),
                outcome: Type.String(),
                detail: Type.Union([Type.String(), Type.Null()]),
                tools_indexed: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ crawled: await ctx.federation.crawlNow(request.body.peer_id ?? null) }),
  );

  app.put(
    "/ai-market/v2/federation/peers/:peer_id/account",
    {
      config: { access: "admin" },
      schema: {
        ...admin,
        summary: "Set this hub's account at a peer (its API key or channel there) and its bond",
        operationId: "setFederationPeerAccount",
        params: Type.Object({ peer_id: Type.String({ pattern: "^peer_[0-9a-z]{26}$" }) }),
        body: AccountBody,
        response: { 200: PeerWire },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.api_key !== undefined && b.channel_id !== undefined) {
        throw new Problem(
          kernelProblems.VALIDATION_FAILED,
          "give api_key or channel_id, not both",
          {
            errors: [{ pointer: "/channel_id", detail: "only one credential per peer" }],
          },
        );
      }
      const asset = b.asset ?? FL.routing_asset_default;
      decimalsOf(ctx, asset);
      const credential =
        b.api_key !== undefined
          ? { kind: "api_key" as const, secret: b.api_key }
          : b.channel_id !== undefined
            ? { kind: "channel" as const, secret: b.channel_id }
            : null;
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const peer = await ctx.federation.setRoute(tx, request.params.peer_id, {
          credential,
          asset,
          bond_usd_micros: decimalToMinor(b.bond_usd ?? "0", 6) ?? 0n,
        });
        const trust = await ctx.federation.trustOf(tx, [peer]);
        return peerWire(peer, trust.get(peer.id) ?? 0, true);
      });
    },
  );

  app.get(
    "/ai-market/v2/manifest",
    {
      schema: {
        ...common,
        summary: "Signed v2 manifest: this hub's tools and its active peers' (5-field canonical)",
        operationId: "getAiMarketManifestV2",
      },
    },
    async () => {
      const ex = ctx.db.kysely;
      const key = await ctx.keys.signingKey(ex);
      const generated_at = isoOf(ctx.clock.now_ms()).replace(/\.\d{3}Z$/, "Z");
      return federatedManifest(
        searchDeps(ctx),
        ex,
        await localTools(ctx, ex),
        key.privateKey,
        generated_at,
      );
    },
  );

  app.get(
    "/ai-market/v2/search",
    {
      schema: {
        ...common,
        summary: "Search this hub and its peers: source hub, routed price and trust per match",
        operationId: "searchAiMarketV2",
        querystring: SearchQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const found = await federatedSearch(searchDeps(ctx), ctx.db.kysely, {
        intent: q.intent,
        budget_usd_micros: q.budget === undefined ? null : decimalToMinor(q.budget, 6),
        max_latency_ms: q.max_latency_ms ?? null,
        min_trust: q.min_trust ?? null,
        hub: q.hub ?? "any",
        limit: q.limit ?? FL.search_results_default,
      });
      return { query: q.intent, ...found, protocol_version: "v2" };
    },
  );

  app.post(
    "/ai-market/v2/invoke",
    {
      schema: {
        ...common,
        summary: "Invoke a capability of a peer hub, routed and paid through this hub",
        operationId: "invokeAiMarketV2",
        security: [{ apiKey: [] }],
        body: InvokeBody,
      },
    },
    async (request, reply) => {
      if (!request.caller) {
        throw new Problem(
          orderProblems.PAYMENT_REQUIRED,
          "routed calls are paid: authenticate with a funded key of this hub",
          { headers: { "x-payment-required": JSON.stringify({ chain: "agx-ledger" }) } },
        );
      }
      if (!scopeCovers(request.caller.key.scope, "write")) {
        throw new Problem(kernelProblems.FORBIDDEN, "routed calls need a write key");
      }
      const b = request.body;
      const out = await ctx.routing.invoke({
        caller_id: request.caller.principal.id,
        product_id: b.product_id,
        capability_id: b.capability_id,
        source_hub: b.source_hub,
        input: b.input,
      });
      const url = `${ctx.publicUrl()}/peac/receipts/${out.agx_receipt.id}`;
      reply.headers(receiptHeaders(out.agx_receipt, url));
      const d = decimalsOf(ctx, out.call.asset);
      const usd = (minor: bigint) => Number(minorToDecimal(minor, d));
      return {
        success: out.success,
        result: out.result,
        ...(out.error ? { error: out.error } : {}),
        source_hub: out.peer.hub_url,
        call_id: out.call.id,
        receipt: out.receipt,
        provider_receipt: out.provider_receipt,
        agx_receipt: {
          id: out.agx_receipt.id,
          kind: out.agx_receipt.kind,
          jws: out.agx_receipt.jws,
        },
        price_usd: out.success ? usd(out.call.routed_minor) : 0,
        provider_price_usd: out.success ? usd(out.call.price_minor) : 0,
        routing_fee_usd: out.success ? usd(out.call.fee_minor) : 0,
        routing_fee_bps: out.call.fee_bps,
        charged: {
          amount: minorToDecimal(out.success ? out.call.routed_minor : 0n, d),
          asset: out.call.asset,
        },
        latency_ms: out.call.latency_ms ?? 0,
      };
    },
  );
}
