import type { MarketFlows } from "../../../flows/market.ts";
import type { WebhookFlows } from "../../../flows/webhooks.ts";
import type { Market } from "../../../market/index.ts";
import type { Webhooks } from "../../../webhooks/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { registerWebhookRoutes } from "../webhooks/index.ts";
import feedRoutes from "./feed.ts";
import listingRoutes from "./listings.ts";
import negotiationRoutes from "./negotiations.ts";
import orderRoutes from "./orders.ts";
import reviewRoutes from "./reviews.ts";
import threadRoutes from "./threads.ts";

/** What market and webhook routes use: the hub's context plus the two modules and their flows. */
export type MarketRouteContext = AppContext & {
  market: Market;
  webhooks: Webhooks;
  marketFlows: MarketFlows;
  webhookFlows: WebhookFlows;
};

/** Pact's market (listings, negotiations, orders, threads, reviews) and agx's webhooks. */
export function registerMarketRoutes(app: App, ctx: MarketRouteContext): void {
  for (const route of [
    feedRoutes,
    listingRoutes,
    negotiationRoutes,
    orderRoutes,
    threadRoutes,
    reviewRoutes,
  ]) {
    route(app, ctx);
  }
  registerWebhookRoutes(app, ctx);
}
