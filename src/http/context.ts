import type { Catalog } from "../catalog/index.ts";
import type { Channels } from "../channels/index.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/db.ts";
import type { Delegation } from "../delegation/index.ts";
import type { Dpop } from "../dpop/index.ts";
import type { Federation } from "../federation/index.ts";
import type { ChannelFlows } from "../flows/channels.ts";
import type { Routing } from "../flows/federation.ts";
import type { Fulfilment } from "../flows/fulfil.ts";
import type { MarketFlows } from "../flows/market.ts";
import type { PipelineFlows } from "../flows/pipeline.ts";
import type { Purchases } from "../flows/purchase.ts";
import type { WebhookFlows } from "../flows/webhooks.ts";
import type { Idempotency } from "../idempotency/index.ts";
import type { Identity } from "../identity/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/logger.ts";
import type { Ledger } from "../ledger/index.ts";
import type { Machines } from "../machines/index.ts";
import type { Market } from "../market/index.ts";
import type { Orders } from "../orders/index.ts";
import type { Outbox } from "../outbox/index.ts";
import type { RateLimiter } from "../ratelimit/index.ts";
import type { KeySet, Receipts } from "../receipts/index.ts";
import type { Stats } from "../stats/index.ts";
import type { Webhooks } from "../webhooks/index.ts";
import type { ChainClients, X402Gate, X402Terms } from "../x402/index.ts";
import type { HubPolicy } from "./peac/policy.ts";

/** What routes may use: the modules and the database. Routes stay thin adapters over these. */
export interface AppContext {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  ledger: Ledger;
  identity: Identity;
  idempotency: Idempotency;
  outbox: Outbox;
  ratelimit: RateLimiter;
  keys: KeySet;
  receipts: Receipts;
  catalog: Catalog;
  dpop: Dpop;
  orders: Orders;
  machines: Machines;
  delegation: Delegation;
  channels: Channels;
  purchases: Purchases;
  fulfilment: Fulfilment;
  channelFlows: ChannelFlows;
  /** Pact's peer-to-peer market: listings, negotiations, escrow orders, threads, reviews. */
  market: Market;
  marketFlows: MarketFlows;
  /** Signed webhooks to principals' endpoints (Standard Webhooks), with retries. */
  webhooks: Webhooks;
  webhookFlows: WebhookFlows;
  /** DAG pipelines run as leased jobs with a signed bill of materials. */
  pipelineFlows: PipelineFlows;
  /** AIMP v2 federation: peers, their verified tools, and calls routed to them. */
  federation: Federation;
  routing: Routing;
  /** The Factory Floor: floor statistics, per-service health from real runs, the live feed. */
  stats: Stats;
  /** The access policy served as peac.txt and enforced on governed routes. */
  policy: HubPolicy;
  /** x402 payments on paid routes, when configured (AGX_X402_PAY_TO); null when not offered. */
  x402: HubX402 | null;
  /** The URL clients reach this hub at (configured, or the bound address once listening). */
  publicUrl(): string;
}

/** The hub's x402 gate and what it books payments as. */
export interface HubX402 {
  gate: X402Gate;
  terms: X402Terms;
  /** The ledger asset the token is booked as. */
  asset: string;
  /** RPC clients of the chains the hub reads (AGX_EVM_RPC_URL(S), else AGX_X402_RPC_URL). */
  chains: ChainClients;
}
