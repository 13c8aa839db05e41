import { createHash } from "node:crypto";
import { createCatalog } from "./catalog/index.ts";
import { createChannels } from "./channels/index.ts";
import type { Config } from "./config.ts";
import type { Database } from "./db/db.ts";
import { createDelegation } from "./delegation/index.ts";
import { createDpop } from "./dpop/index.ts";
import { builtinAdapter, createExecutor, httpAdapter, runtimeAdapter } from "./execution/index.ts";
import { createChannelFlows, TOPIC_CHANNEL_EXPIRE } from "./flows/channels.ts";
import { escrowChainOf, TOPIC_ESCROW_ACTION } from "./flows/escrow-chain.ts";
import { composeFederation } from "./flows/federation-compose.ts";
import { createFulfilment } from "./flows/fulfil.ts";
import { runtimeResolver } from "./flows/machine-runtime.ts";
import { composeMarket } from "./flows/market-compose.ts";
import { composePipelineFlows } from "./flows/pipeline.ts";
import {
  createPurchases,
  SYSTEM_ACTOR,
  TOPIC_AUTO_CONFIRM,
  TOPIC_EXPIRE_READY,
} from "./flows/purchase.ts";
import { txProofTermsOf } from "./flows/tx-proof.ts";
import { TOPIC_X402_RECONCILE, x402ReconcileHandler } from "./flows/x402-reconcile.ts";
import type { AppContext, HubX402 } from "./http/context.ts";
import { loadHubPolicy } from "./http/peac/policy.ts";
import { createIdempotency } from "./idempotency/index.ts";
import { createIdentity } from "./identity/index.ts";
import type { Clock } from "./kernel/clock.ts";
import type { Logger } from "./kernel/logger.ts";
import { isProblem, Problem } from "./kernel/problem.ts";
import { createLedger } from "./ledger/index.ts";
import {
  type ControllerResolver,
  createMachines,
  didPkhResolver,
  erc1056Resolver,
  registryResolver,
} from "./machines/index.ts";
import { classifyAddress, isRangeAllowed, netProblems, normaliseHost } from "./net/index.ts";
import { createOrders } from "./orders/index.ts";
import { createOutbox, type OutboxHandler } from "./outbox/index.ts";
import { createRateLimiter } from "./ratelimit/index.ts";
import { createKeySet, createReceipts } from "./receipts/index.ts";
import { createStats } from "./stats/index.ts";
import {
  caip2Of,
  chainIdOf,
  createAuthorizationReader,
  createChainClients,
  createEvmSigner,
  createLocalFacilitator,
  createPendingSettlementStore,
  createRemoteFacilitator,
  createX402Gate,
  type Hex,
  x402Limits,
} from "./x402/index.ts";

/**
 * DPoP nonces are HMACs, so every hub process must share the secret: AGX_SECRET_KEY when set
 * (always in production). A development hub without one derives it from where its data lives;
 * that only weakens nonce freshness, the jti replay cache still refuses replays.
 */
function dpopNonceSecret(config: Config, db: Database): string {
  return createHash("sha256")
    .update(`agx-dpop-nonce:${config.secret_key ?? db.describe}`)
    .digest("hex");
}

/**
 * The publish-time SSRF check of outbound URLs (provider endpoints, handoffs, webhooks): http(s)
 * only, and no literal private, loopback or metadata address unless allowed by config. Host names
 * are resolved and pinned again at call time by guardedFetch, which a DNS answer cannot dodge.
 */
export function outboundUrlCheck(config: Config) {
  return async (raw: string, pointer: string): Promise<void> => {
    const refuse = (detail: string) =>
      new Problem(netProblems.NET_URL_BLOCKED, `${pointer}: ${detail}`, {
        errors: [{ pointer, detail }],
      });
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse("not a URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("only http(s) URLs");
    if (url.username || url.password) throw refuse("URLs may not carry credentials");
    const host = normaliseHost(url.hostname);
    const range = host === "localhost" ? "loopback" : classifyAddress(host);
    if (range === null) return;
    const allowance = {
      allowPrivate: config.outbound_allow_private,
      hostAllowListed: config.outbound_allow_hosts.some((h) => normaliseHost(h) === host),
    };
    if (!isRangeAllowed(range, allowance)) throw refuse(`${host} is a ${range} address`);
  };
}

/** A secret derived from AGX_SECRET_KEY (or, in development, from where the data lives). */
function derivedSecret(label: string, config: Config, db: Database): Buffer {
  return createHash("sha256")
    .update(`${label}:${config.secret_key ?? db.describe}`)
    .digest();
}

/** The hub's x402 gate, when x402 is configured (AGX_X402_PAY_TO), else null. */
function x402Of(config: Config, db: Database, clock: Clock): HubX402 | null {
  if (config.x402_pay_to === null) return null;
  const network = caip2Of(config.x402_network);
  const facilitator =
    config.x402_facilitator === "local"
      ? createLocalFacilitator({
          signer: createEvmSigner({
            rpc_url: config.x402_rpc_url as string,
            chain_id: chainIdOf(network),
            private_key: config.x402_gas_key as Hex,
          }),
          networks: [network],
          pending_store: createPendingSettlementStore(db.kysely, clock),
        })
      : createRemoteFacilitator({
          url: config.x402_facilitator,
          allowHosts: config.outbound_allow_hosts,
          allowPrivate: config.outbound_allow_private,
        });
  const terms = {
    network,
    asset: config.x402_asset as Hex,
    pay_to: config.x402_pay_to as Hex,
    eip712: { name: config.x402_eip712_name, version: config.x402_eip712_version },
    max_timeout_seconds: x402Limits.max_timeout_seconds_default,
  };
  return {
    gate: createX402Gate({ facilitator, terms, clock, db: db.kysely }),
    terms,
    asset: config.x402_ledger_asset,
    chains: createChainClients({ rpc_urls: txProofTermsOf(config).rpc_urls }),
  };
}

function controllerResolvers(c: Config): ControllerResolver[] {
  const out = [registryResolver(), didPkhResolver()];
  if (c.erc1056_rpc_url && c.erc1056_registry && c.erc1056_chain_id !== null) {
    out.push(
      erc1056Resolver({
        rpc_url: c.erc1056_rpc_url,
        registry_address: c.erc1056_registry as `0x${string}`,
        chain_id: c.erc1056_chain_id,
      }),
    );
  }
  return out;
}

/** Builds every module and flow of the hub once, wired to one database and clock. */
export function composeContext(parts: {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  publicUrl: () => string;
}): AppContext {
  const { config, db, clock } = parts;
  const decimalsOf = (asset: string) => config.assets.find((a) => a.code === asset)?.decimals ?? 6;
  const ledger = createLedger({ clock });
  const keys = createKeySet({
    clock,
    secret: config.secret_key,
    overlap_ms: config.receipt_key_overlap_ms,
  });
  const receipts = createReceipts({
    clock,
    keys,
    profile: config.receipt_profile,
    public_url: parts.publicUrl,
  });
  const stats = createStats({ clock });
  const catalog = createCatalog({
    clock,
    health: stats.health,
    dialect: db.dialect,
    signQuote: (ex, payload) => keys.signCompact(ex, "agx-quote+jwt", payload),
    checkUrl: outboundUrlCheck(config),
  });
  const outbox = createOutbox({ clock });
  const orders = createOrders({ clock });
  const channels = createChannels({ clock });
  const machines = createMachines({
    clock,
    hub: parts.publicUrl,
    resolvers: controllerResolvers(config),
    endpoint_secret_key: derivedSecret("agx-machine-endpoint-tokens", config, db),
    checkUrl: outboundUrlCheck(config),
  });
  const outbound = {
    allowHosts: config.outbound_allow_hosts,
    allowPrivate: config.outbound_allow_private,
  };
  const executor = createExecutor([
    builtinAdapter(clock),
    httpAdapter(clock, outbound),
    // A machine's own endpoint of private scope may sit on its LAN, over plain http.
    runtimeAdapter(clock, runtimeResolver(machines, db.kysely), {
      public: outbound,
      private: { ...outbound, allowPrivate: true, allowHttp: true },
    }),
  ]);
  const previous =
    config.pairing_token_secret_previous && config.pairing_token_previous_until_ms !== null
      ? {
          secret: config.pairing_token_secret_previous,
          accept_until_ms: config.pairing_token_previous_until_ms,
        }
      : null;
  const delegation = createDelegation({
    clock,
    hub: parts.publicUrl,
    token_secrets: {
      current:
        config.pairing_token_secret ??
        derivedSecret("agx-pairing-token", config, db).toString("hex"),
      previous,
    },
  });
  const purchaseDeps = {
    clock,
    ledger,
    orders,
    catalog,
    receipts,
    channels,
    outbox,
    executor,
    fee_bps: config.hub_fee_bps,
    execution_timeout_ms: config.execution_timeout_ms,
    decimalsOf,
    delegation,
  };
  const purchases = createPurchases(purchaseDeps);
  const market = composeMarket(
    { config, db, clock, ledger, receipts, outbox },
    {
      checkUrl: outboundUrlCheck(config),
      webhook_retry: { schedule_ms: config.webhook_retry_schedule_ms },
      webhook_timeout_ms: config.webhook_timeout_ms,
      review_start_after_ms: config.market_review_start_after_ms,
      auto_accept_after_ms: config.market_auto_accept_after_ms,
    },
  );
  const base = {
    ...market,
    machines,
    delegation,
    config,
    db,
    clock,
    logger: parts.logger,
    ledger,
    identity: createIdentity({ clock }),
    idempotency: createIdempotency({
      clock,
      retention_ms: config.idempotency_retention_ms,
      lock_ms: config.idempotency_lock_ms,
    }),
    outbox,
    ratelimit: createRateLimiter({ clock }),
    keys,
    receipts,
    dpop: createDpop({ clock, nonce_secret: dpopNonceSecret(config, db) }),
    policy: loadHubPolicy(config.peac_txt, config.assets),
    catalog,
    stats,
    orders,
    channels,
    purchases,
    fulfilment: createFulfilment({ ...purchaseDeps, db }, purchases),
    channelFlows: createChannelFlows({
      clock,
      ledger,
      channels,
      outbox,
      webhooks: market.webhookFlows,
    }),
    publicUrl: parts.publicUrl,
    x402: x402Of(config, db, clock),
    ...composeFederation({
      ...{ config, db, clock, ledger, receipts, keys, logger: parts.logger },
      ...{ publicUrl: parts.publicUrl, checkUrl: outboundUrlCheck(config) },
      credential_key: derivedSecret("agx-federation-credentials", config, db),
    }),
  };
  return { ...base, pipelineFlows: composePipelineFlows(base) };
}

/**
 * Timed events of the market: auto-confirm delivered orders, cancel paid orders nobody ran,
 * expire channels. Each re-reads state in its own transaction, so a late or repeated delivery
 * finds the order already moved and does nothing.
 */
export function marketHandlers(ctx: AppContext): Record<string, OutboxHandler> {
  const quietly = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      // The order or channel moved on meanwhile: nothing left to do.
      if (!isProblem(error) || error.status !== 409) throw error;
    }
    return { outcome: "done" as const };
  };
  return {
    [TOPIC_AUTO_CONFIRM]: (m) =>
      quietly(() =>
        ctx.db.transaction(async (tx) => {
          const order = await ctx.orders.get(tx, String(m.payload.order_id));
          if (order.status === "delivered") {
            await ctx.fulfilment.confirm(tx, order, {
              id: "system",
              reason: "auto-confirmed after the review window",
            });
          }
        }),
      ),
    [TOPIC_EXPIRE_READY]: (m) =>
      quietly(() =>
        ctx.db.transaction(async (tx) => {
          const order = await ctx.orders.get(tx, String(m.payload.order_id));
          if (order.status === "ready") {
            await ctx.fulfilment.cancel(tx, order, {
              ...SYSTEM_ACTOR,
              reason: "paid but never executed",
            });
          }
        }),
      ),
    [TOPIC_CHANNEL_EXPIRE]: async (m) => {
      const channel = await ctx.channels.get(ctx.db.kysely, String(m.payload.channel_id));
      if (channel?.status !== "open") return { outcome: "done" };
      try {
        await ctx.db.transaction((tx) => ctx.channelFlows.end(tx, channel, "expired"));
        return { outcome: "done" };
      } catch (error) {
        if (isProblem(error) && error.status === 409) {
          return {
            outcome: "retry",
            reason: "calls in flight",
            retry_at_ms: ctx.clock.now_ms() + 60_000,
          };
        }
        throw error;
      }
    },
    [TOPIC_ESCROW_ACTION]: escrowChainOf({
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      orders: ctx.orders,
      fulfilment: ctx.fulfilment,
      config: ctx.config,
    }).handler,
    ...(ctx.x402
      ? {
          [TOPIC_X402_RECONCILE]: x402ReconcileHandler({
            db: ctx.db,
            ledger: ctx.ledger,
            orders: ctx.orders,
            fulfilment: ctx.fulfilment,
            asset: ctx.x402.asset,
            clock: ctx.clock,
            webhooks: ctx.webhookFlows,
            reader: createAuthorizationReader({
              chains: ctx.x402.chains,
              confirmations_min: ctx.config.evm_confirmations,
            }),
          }),
        }
      : {}),
  };
}
