import type { App } from "../../app.ts";
import type { MarketRouteContext } from "../market/index.ts";
import deliveryRoutes from "./deliveries.ts";
import endpointRoutes from "./endpoints.ts";

/** Webhook subscriptions and deliveries (`/api/v1/webhooks…`, snake_case like agx's API). */
export function registerWebhookRoutes(app: App, ctx: MarketRouteContext): void {
  endpointRoutes(app, ctx);
  deliveryRoutes(app, ctx);
}
