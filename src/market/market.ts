import type { DialectName } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { createListings } from "./listings.ts";
import type { Role } from "./machine.ts";
import type { MarketOrder } from "./model.ts";
import { createMarketOrders } from "./orders.ts";
import { createReviews } from "./reviews.ts";
import { createThreads } from "./threads.ts";

export interface MarketDeps {
  clock: Clock;
  dialect: DialectName;
  /** The hub's fee on a completed market order, in basis points, fixed when terms are agreed. */
  fee_bps: number;
}

/** The roles a principal holds on an order (one may be operator and party at once). */
export function rolesOn(order: MarketOrder, principal_id: string, operator: boolean): Role[] {
  const held: Role[] = [];
  if (order.buyer_id === principal_id) held.push("buyer");
  if (order.seller_id === principal_id) held.push("seller");
  if (operator) held.push("operator");
  return held;
}

/** The market module: listings, orders, threads, reviews. Writes take the caller's transaction. */
export function createMarket(deps: MarketDeps) {
  return {
    listings: createListings(deps),
    orders: createMarketOrders(deps),
    threads: createThreads(deps),
    reviews: createReviews(deps),
  };
}

export type Market = ReturnType<typeof createMarket>;
