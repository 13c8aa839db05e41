import type { AppContext } from "../http/context.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { createMarket, marketLimits } from "../market/index.ts";
import type { OutboxHandler } from "../outbox/index.ts";
import { createWebhooks, type RetryPolicy } from "../webhooks/index.ts";
import { createMarketFlows, type MarketFlows } from "./market.ts";
import { marketDeadlineHandlers } from "./market-deadlines.ts";
import { createWebhookFlows, type WebhookFlows, webhookHandlers } from "./webhooks.ts";

/** Settings of the market and webhooks that are not yet keys of the hub's config. */
export interface MarketOptions {
  /** The publish-time URL check of webhook endpoints (compose.ts's outboundUrlCheck). */
  checkUrl(url: string, pointer: string): Promise<void>;
  /** The market fee in basis points (default: the hub fee). */
  fee_bps?: number;
  review_start_after_ms?: number;
  auto_accept_after_ms?: number;
  webhook_retry?: Partial<RetryPolicy>;
  webhook_timeout_ms?: number;
  webhook_response_bytes_max?: number;
  /** Defaults to the system clock: receivers check `webhook-timestamp` against theirs. */
  wall_clock?: Clock;
}

/**
 * The market and webhooks modules and their flows, built on the hub's context: the one place
 * that wires them, used by the hub's composition root and by tests alike.
 */
export function composeMarket(
  base: Pick<AppContext, "config" | "clock" | "db" | "ledger" | "receipts" | "outbox">,
  options: MarketOptions,
) {
  const { config, clock } = base;
  const decimalsOf = (asset: string) => config.assets.find((a) => a.code === asset)?.decimals ?? 6;
  const market = createMarket({
    clock,
    dialect: base.db.dialect,
    fee_bps: options.fee_bps ?? config.hub_fee_bps,
  });
  const webhooks = createWebhooks({
    clock,
    wall_clock: options.wall_clock ?? systemClock,
    secret_key: config.secret_key,
    checkUrl: options.checkUrl,
    outbound: {
      allowHosts: config.outbound_allow_hosts,
      allowPrivate: config.outbound_allow_private,
      ...(options.webhook_timeout_ms !== undefined
        ? { timeout_ms: options.webhook_timeout_ms }
        : {}),
      ...(options.webhook_response_bytes_max !== undefined
        ? { response_bytes_max: options.webhook_response_bytes_max }
        : {}),
    },
    ...(options.webhook_retry ? { retry: options.webhook_retry } : {}),
  });
  const webhookFlows = createWebhookFlows({ webhooks, outbox: base.outbox });
  const marketFlows = createMarketFlows({
    clock,
    ledger: base.ledger,
    receipts: base.receipts,
    outbox: base.outbox,
    market,
    webhooks: webhookFlows,
    decimalsOf,
    review_start_after_ms: options.review_start_after_ms ?? marketLimits.review_start_after_ms,
    auto_accept_after_ms: options.auto_accept_after_ms ?? marketLimits.auto_accept_after_ms,
  });
  return { market, webhooks, marketFlows, webhookFlows };
}

/** The outbox handlers of market deadlines and webhook deliveries. */
export function marketModuleHandlers(parts: {
  db: AppContext["db"];
  marketFlows: MarketFlows;
  webhookFlows: WebhookFlows;
  webhooks: ReturnType<typeof composeMarket>["webhooks"];
}): Record<string, OutboxHandler> {
  return {
    ...marketDeadlineHandlers({ db: parts.db, flows: parts.marketFlows }),
    ...webhookHandlers({ db: parts.db, webhooks: parts.webhooks, flows: parts.webhookFlows }),
  };
}
